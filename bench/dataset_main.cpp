// vestibule-dataset: fills a new data folder with a generated dataset (bench/dataset.hpp), checks
// it with the real services, and prints as JSON what a script needs to drive
// `vestibule serve --data-dir DIR` on it: the admin's sign-in, a member's, a specific link with
// its recipient's address and verified session, and an anyone link.
#include "dataset.hpp"

#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

namespace {

namespace bench = vestibule::bench;

int run(const std::string& data_dir, const bench::DatasetShape& shape) {
  auto made = bench::generate(data_dir, shape);
  if (!made) {
    std::cerr << "vestibule-dataset: " << made.error().message << "\n";
    return 1;
  }
  const auto& m = made.value();
  bench::Services services(data_dir,
                           vestibule::util::from_unix(m.generated_at) + std::chrono::minutes(1));
  if (auto checked = bench::check(services, m); !checked) {
    std::cerr << "vestibule-dataset: " << checked.error().message << "\n";
    return 1;
  }
  const auto& specific = m.specific_samples.front();
  const auto& anyone = m.anyone_samples.front();
  const nlohmann::json out{
      {"data_dir", data_dir},
      {"items", m.items},
      {"links", m.links},
      {"depth", m.depth},
      {"seconds", m.seconds},
      {"admin", {{"email", m.admin_email}, {"password", m.admin_password}}},
      {"member", {{"email", m.member_email}, {"password", m.member_password}}},
      {"specific_link",
       {{"token", specific.link_token},
        {"item_id", specific.item_id},
        {"recipient", specific.address},
        {"recipient_session", specific.session_token}}},
      {"anyone_link", {{"token", anyone.link_token}, {"item_id", anyone.item_id}}},
  };
  std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Generates a Vestibule data folder at benchmark scale"};
  std::string data_dir;
  bench::DatasetShape shape;
  cli.add_option("--data-dir", data_dir, "the new data folder")->required();
  cli.add_option("--items", shape.items, "items in the team space, its root included")
      ->capture_default_str();
  cli.add_option("--links", shape.links, "links, on distinct items")->capture_default_str();
  cli.add_option("--depth", shape.depth, "depth of the deepest files (the root is 0)")
      ->capture_default_str();
  cli.add_option("--members", shape.members, "members besides the admin")->capture_default_str();
  cli.add_option("--samples", shape.samples, "requests prepared per benchmark case")
      ->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  spdlog::set_level(spdlog::level::warn);
  // The stores throw when the folder cannot be opened at all.
  try {
    return run(data_dir, shape);
  } catch (const std::exception& e) {
    std::cerr << "vestibule-dataset: " << e.what() << "\n";
    return 1;
  }
}

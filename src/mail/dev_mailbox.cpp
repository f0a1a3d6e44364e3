#include "mail/dev_mailbox.hpp"

#include "mail/mime.hpp"
#include "util/rfc3339.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace vestibule::mail {

DevMailbox::DevMailbox(std::filesystem::path folder, const util::Clock& clock)
    : folder_(std::move(folder)), clock_(clock) {}

domain::SendOutcome DevMailbox::send(const domain::MailMessage& message,
                                     const std::function<bool()>& may_finish) {
  using Kind = domain::SendOutcome::Kind;
  std::lock_guard lock(mutex_);
  if (may_finish && !may_finish()) {
    return {Kind::kClaimLost, "the claim on this mail ended before it was written"};
  }
  std::error_code ec;
  std::filesystem::create_directories(folder_, ec);
  if (ec) {
    return {Kind::kTemporary, "cannot create " + folder_.string() + ": " + ec.message()};
  }
  char stem[32];
  std::snprintf(stem, sizeof stem, "%012lld", static_cast<long long>(message.id));
  const auto now = clock_.now();
  {
    std::ofstream eml(folder_ / (std::string(stem) + ".eml"), std::ios::binary | std::ios::trunc);
    eml << build_message(message, "Vestibule <no-reply@vestibule.localhost>", now);
    if (!eml) {
      return {Kind::kTemporary, "cannot write to " + folder_.string()};
    }
  }
  const nlohmann::json summary = {{"to", message.to},
                                  {"subject", message.subject},
                                  {"text", message.text},
                                  {"html", message.html},
                                  {"kind", to_string(message.kind)},
                                  {"sent_at", util::format_rfc3339(now)}};
  std::ofstream json(folder_ / (std::string(stem) + ".json"), std::ios::binary | std::ios::trunc);
  json << summary.dump();
  if (!json) {
    return {Kind::kTemporary, "cannot write to " + folder_.string()};
  }
  return {Kind::kSent, "delivered to the development mailbox"};
}

std::vector<DevMail> DevMailbox::list(std::size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder_, ec)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.rbegin(), files.rend());
  std::vector<DevMail> out;
  for (const auto& path : files) {
    if (out.size() >= limit) {
      break;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto j = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (!j.is_object()) {
      continue;
    }
    out.push_back({j.value("to", ""), j.value("subject", ""), j.value("text", ""),
                   j.value("html", ""), j.value("kind", ""), j.value("sent_at", "")});
  }
  return out;
}

}  // namespace vestibule::mail

// SmtpSender against a real SMTP server: Debian's aiosmtpd, storing what it accepts in a
// maildir, started for each test on a free port of the loopback.
#include "mail/smtp_sender.hpp"

#include "support/temp_dir.hpp"
#include "util/clock.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vestibule::mail {
namespace {

namespace fs = std::filesystem;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool named = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  return named ? ntohs(addr.sin_port) : 0;  // 0: the relay does not start, and the test says so
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// aiosmtpd with its Mailbox handler: every message it accepts is a file in box/new.
class Relay {
 public:
  Relay() : port_(free_port()), box_(dir_.path() / "box") {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      ::execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(), "-c",
              "aiosmtpd.handlers.Mailbox", box_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when it takes connections; a start that fails ends the process, which ends this.
    for (int i = 0; i < 1000 && !accepts_connections(port_); ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Relay() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0 && accepts_connections(port_); }
  [[nodiscard]] int port() const { return port_; }

  // The messages it accepted, whole.
  [[nodiscard]] std::vector<std::string> received() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(box_ / "new", ec)) {
      std::ifstream in(entry.path(), std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }

 private:
  testing::TempDir dir_;
  int port_;
  fs::path box_;
  pid_t pid_ = -1;
};

domain::MailMessage message(const std::string& subject) {
  domain::MailMessage m;
  m.id = 7;
  m.kind = domain::MailKind::kInvitation;
  m.to = "eve@partner.example";
  m.subject = subject;
  m.text = "A file was shared with you.\n" + std::string(200000, 'x');  // several reads
  m.message_id = "<" + subject + "@vestibule.test>";
  return m;
}

TEST(SmtpSender, DeliversAMessageWhenTheClaimStandsAndNothingWhenItHasEnded) {
  Relay relay;
  ASSERT_TRUE(relay.running()) << "aiosmtpd did not start (python3-aiosmtpd missing?)";
  util::ManualClock clock;
  SmtpSender sender({"127.0.0.1", relay.port(), "none", "", "", "Vestibule <v@example.org>", "",
                     std::chrono::seconds{10}},
                    clock);

  int asked = 0;
  const std::function<bool()> ended = [&] {
    ++asked;
    return false;
  };
  const auto lost = sender.send(message("never-delivered"), ended);
  EXPECT_EQ(lost.kind, domain::SendOutcome::Kind::kClaimLost) << lost.detail;
  EXPECT_EQ(asked, 1);  // asked once, when only the message's end was left to send

  const std::function<bool()> stands = [&] {
    ++asked;
    return true;
  };
  const auto sent = sender.send(message("delivered"), stands);
  EXPECT_EQ(sent.kind, domain::SendOutcome::Kind::kSent) << sent.detail;
  EXPECT_EQ(asked, 2);
  const auto without_claim = sender.send(message("delivered-too"), {});
  EXPECT_EQ(without_claim.kind, domain::SendOutcome::Kind::kSent) << without_claim.detail;

  // The relay has the two later messages, whole, and nothing of the first: the relay took the
  // later ones after the first connection had ended, so it had settled the first by then.
  const auto got = relay.received();
  ASSERT_EQ(got.size(), 2U);
  std::set<std::string> ids;
  for (const auto& m : got) {
    EXPECT_EQ(m.find("never-delivered"), std::string::npos);
    for (const char* id : {"<delivered@vestibule.test>", "<delivered-too@vestibule.test>"}) {
      if (m.find(id) != std::string::npos) {
        ids.insert(id);
      }
    }
  }
  EXPECT_EQ(ids.size(), 2U);
}

}  // namespace
}  // namespace vestibule::mail

// Shared: one file shared by a member with eve@partner.example through a specific link, with
// the steps a recipient takes (ask for a code, read it from the email, confirm it), over the real
// stores of StoreFixture.
#pragma once

#include "support/store_fixture.hpp"

#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace vestibule::testing {

// A share of one file with eve@partner.example, as seen by a holder of its link.
struct Shared {
  using Item = domain::Item;
  using Link = domain::Link;
  using LinkKind = domain::LinkKind;
  using LinkRequest = domain::LinkRequest;
  using Principal = domain::Principal;
  using User = domain::User;
  using VerifiedSession = domain::VerifiedSession;

  StoreFixture f;
  User owner;
  Item file;
  Link link;
  Principal holder;  // anonymous, through the link

  Shared() {
    owner = f.add_user("owner@corp.example");
    file = f.upload(f.as(owner), f.personal_root(owner), "plan.txt", "the plan");
    LinkRequest request;
    request.kind = LinkKind::kSpecific;
    request.recipients = {{"eve@partner.example", {}}};
    link = f.sharing.create_link(f.as(owner), file.id, request).value().link.link;
    holder.via = link;
    f.outbox.deliver_due();  // the invitation
    EXPECT_EQ(f.mail_sender.sent.size(), 1U);
    f.mail_sender.sent.clear();
  }

  // Requests a code from `browser` and returns it as the recipient reads it in the email.
  std::string code_for(const std::string& browser,
                       const std::string& address = "eve@partner.example") {
    const std::size_t before = f.mail_sender.sent.size();
    EXPECT_TRUE(f.verification.request(holder, address, browser, "198.51.100.7"));
    f.verification.process_pending();
    f.outbox.deliver_due();
    if (f.mail_sender.sent.size() == before) {
      return {};
    }
    return code_in(f.mail_sender.sent.back().text);
  }

  Result<VerifiedSession> confirm(const std::string& code, const std::string& browser,
                                  bool remember = false) {
    return f.verification.confirm(holder, "eve@partner.example", code, remember, browser,
                                  "198.51.100.7", "test");
  }

  // The same steps without a link (sign-in by email code): the code read from the email, or ""
  // when no email came.
  std::string sign_in_code_for(const std::string& browser,
                               const std::string& address = "eve@partner.example") {
    const std::size_t before = f.mail_sender.sent.size();
    EXPECT_TRUE(f.verification.request_sign_in(address, browser, "198.51.100.7"));
    f.verification.process_pending();
    f.outbox.deliver_due();
    if (f.mail_sender.sent.size() == before) {
      return {};
    }
    return code_in(f.mail_sender.sent.back().text);
  }

  Result<VerifiedSession> confirm_sign_in(const std::string& code, const std::string& browser,
                                          const std::string& address = "eve@partner.example",
                                          bool remember = false) {
    return f.verification.confirm_sign_in(address, code, remember, browser, "198.51.100.7", "test");
  }

  static std::string code_in(const std::string& text) {
    std::smatch m;
    const std::regex digits("([0-9]{6,10})");
    return std::regex_search(text, m, digits) ? m[1].str() : std::string();
  }
};

}  // namespace vestibule::testing

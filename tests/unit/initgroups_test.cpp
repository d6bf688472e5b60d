// The initgroups fast path's pure parts: which services nsswitch.conf names,
// what nss_files adds from /etc/group, and when systemd could add more. The
// expectations are glibc 2.36's behaviour, checked against getgrouplist()
// itself by tests/integration/initgroups_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eslaunch/initgroups.hpp"

namespace eslaunch {
namespace {

using Services = std::optional<std::vector<std::string>>;

TEST(NssInitgroupsServices, InitgroupsLineElseGroupLine) {
    struct Case {
        std::string_view conf;
        Services services;
    };
    const std::vector<Case> cases = {
        {"passwd: files\ngroup: files systemd\n", std::vector<std::string>{"files", "systemd"}},
        {"group: files\ninitgroups: files systemd\n", std::vector<std::string>{"files", "systemd"}},
        {"initgroups: files\ngroup: ldap\n", std::vector<std::string>{"files"}},
        {"group:files", std::vector<std::string>{"files"}},
        {"  group \t::  files\tsystemd  \r\n", std::vector<std::string>{"files", "systemd"}},
        {"group files\n", std::vector<std::string>{"files"}},  // glibc needs no colon
        {"group: files\ngroup: files ldap\n", std::vector<std::string>{"files", "ldap"}},  // the last line wins
        {"group: files [NOTFOUND=return] systemd\n", std::vector<std::string>{"files", "["}},
        {"group: files[SUCCESS=continue]\n", std::vector<std::string>{"files", "["}},
        {"group: files # local only\n", std::vector<std::string>{"files", "#", "local", "only"}},
        {"group:\n", std::vector<std::string>{}},
        {"initgroups:\ngroup: files\n", std::vector<std::string>{}},  // an empty initgroups line counts
        {"#group: files\n", std::nullopt},
        {"Group: files\n", std::nullopt},  // database names are case-sensitive
        {"group", std::nullopt},           // ends right after the name
        {"gshadow: files\ngroups: files\n", std::nullopt},
        {"", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(nss_initgroups_services(c.conf), c.services) << c.conf;
    }
    // A NUL inside a line: std::string_view keeps it, glibc's C strings stop there.
    static constexpr char with_nul[] = "group: files\0 ldap\n";
    EXPECT_EQ(nss_initgroups_services({with_nul, sizeof with_nul - 1}), (std::vector<std::string>{"files"}));
}

TEST(FilesInitgroups, MembersInFileOrderWithoutTheBaseGid) {
    const std::string_view group =
        "root:x:0:\n"
        "adm:x:4:syslog,app\n"
        "app:x:1000:app\n"           // the base gid: left out
        "web:x:33:other, app\n"      // blanks before a name are skipped
        "late:x:50:app \n"           // ... after it, they are part of it
        "dup:x:60:app\n"
        "dup-again:x:60:app\n"       // the same gid twice stays twice
        "\n"
        "# comment:x:70:app\n"       // not a comment to nss_files' initgroups
        "  lead:x:71:app\n"
        "+nis::72:app\n"
        "-nis:x::app\n"              // +/- entries may leave the gid out: 0
        "nogid:x::app\n"             // others may not: skipped
        "short:x:80\n"
        "letters:x:8a:app\n"
        "junk\n"
        "empties:x:90:,,app,,\n"
        "appx:x:91:apps,xapp\n"
        "last:x:4294967295:app";     // no newline at the end
    const auto groups = files_initgroups(group, "app", 1000);
    ASSERT_TRUE(groups);
    EXPECT_EQ(*groups, (std::vector<gid_t>{4, 33, 60, 60, 70, 71, 72, 0, 90, 4294967295U}));
    EXPECT_EQ(files_initgroups(group, "syslog", 104), (std::vector<gid_t>{4}));
    EXPECT_EQ(files_initgroups(group, "nobody", 65534), (std::vector<gid_t>{}));
    EXPECT_EQ(files_initgroups("", "app", 1000), (std::vector<gid_t>{}));
}

TEST(FilesInitgroups, ANulEndsTheLine) {
    static constexpr char group[] = "a:x:10:app\0,other\nb:x:11:ap\0p\n";
    EXPECT_EQ(files_initgroups({group, sizeof group - 1}, "app", 1000), (std::vector<gid_t>{10}));
}

TEST(FilesInitgroups, GidsGlibcMayReadDifferentlyAreLeftToIt) {
    // Debian's glibc 2.36 skips "-2" and "4294967296" lines although
    // files-parse.c's strtou32 would read 4294967295: not reproduced.
    for (std::string_view gid : {"-2", "-0", "+5", " 5", "\t5", "4294967296", "99999999999999999999"}) {
        const std::string group = "g:x:" + std::string{gid} + ":app\n";
        EXPECT_EQ(files_initgroups(group, "app", 1000), std::nullopt) << gid;
    }
    // Even on a line that does not name the user: its gid decides nothing,
    // but the refusal stays simple.
    EXPECT_EQ(files_initgroups("g:x:-1:other\n", "app", 1000), std::nullopt);
}

TEST(SystemdMembershipSource, OnlyPid1sDynamicUserAndNoDropIns) {
    using Names = std::vector<std::string>;
    EXPECT_EQ(systemd_membership_source(std::nullopt, {}), "");
    EXPECT_EQ(systemd_membership_source(Names{}, {}), "");
    EXPECT_EQ(systemd_membership_source(Names{"io.systemd.DynamicUser"}, {}), "");
    EXPECT_EQ(systemd_membership_source(Names{"io.systemd.DynamicUser"}, Names{"1000.user", "app.group"}), "");
    EXPECT_EQ(systemd_membership_source(Names{"io.systemd.DynamicUser", "io.systemd.Home"}, {}),
              "/run/systemd/userdb/io.systemd.Home may list group memberships");
    EXPECT_EQ(systemd_membership_source(Names{"io.systemd.Multiplexer"}, {}),
              "/run/systemd/userdb/io.systemd.Multiplexer may list group memberships");
    EXPECT_EQ(systemd_membership_source(Names{"?"}, {}), "/run/systemd/userdb cannot be read");
    EXPECT_EQ(systemd_membership_source(std::nullopt, Names{"app:wheel.membership"}),
              "the userdb drop-in app:wheel.membership may add a group");
    EXPECT_EQ(systemd_membership_source(std::nullopt, Names{"?"}), "a userdb drop-in directory cannot be read");
}

}  // namespace
}  // namespace eslaunch

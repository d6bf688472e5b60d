// The NSS fast paths' pure parts: which services nsswitch.conf names, what
// nss_files finds in /etc/passwd and adds from /etc/group, and when systemd
// could add more. The expectations are glibc 2.36's behaviour, checked
// against getpwnam_r(), getpwuid_r() and getgrouplist() themselves by
// tests/integration/nss_files_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eslaunch/nss_files.hpp"

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

TEST(NssServices, OneDatabase) {
    const std::string_view conf = "passwd: files systemd\ngroup: files\npasswd: compat\nhosts: files dns\n";
    EXPECT_EQ(nss_services(conf, "passwd"), (std::vector<std::string>{"compat"}));
    EXPECT_EQ(nss_services(conf, "hosts"), (std::vector<std::string>{"files", "dns"}));
    EXPECT_EQ(nss_services(conf, "shadow"), std::nullopt);
}

TEST(NssConfParses, ActionListsAsGlibcReadsThem) {
    for (std::string_view ok : {
             "passwd: files\n",
             "hosts: files mdns4_minimal [NOTFOUND=return] dns\n",
             "hosts: files [!success=Continue  unavail = return] dns\n",
             "group: files [SUCCESS=merge] ldap\n",
             "group: [NOTFOUND=return] files\n",  // glibc stops at a '[' with no service before it
             "# comment [with brackets\n",         // no database name: skipped
             "",
         }) {
        EXPECT_TRUE(nss_conf_parses(ok)) << ok;
    }
    for (std::string_view bad : {
             "hosts: files [NOTFOUND=retrun] dns\n",
             "hosts: files [FOUND=return] dns\n",
             "hosts: files [NOTFOUND return] dns\n",
             "hosts: files [NOTFOUND=return\n",
             "sudoers: files [x]\n",  // stricter than glibc, which skips databases it does not know
         }) {
        EXPECT_FALSE(nss_conf_parses(bad)) << bad;
    }
}

// NssFiles reads nsswitch.conf in one pass: the same answers as the three
// functions, for every text the tests above use.
TEST(NssConfFacts, OnePassAsTheFourFunctions) {
    static constexpr char with_nul[] = "group: files\0 ldap\npasswd: files\0 x\n";
    for (std::string_view conf : std::initializer_list<std::string_view>{
             "passwd: files\ngroup: files systemd\n",
             "group: files\ninitgroups: files systemd\n",
             "initgroups: files\ngroup: ldap\n",
             "  group \t::  files\tsystemd  \r\n",
             "group: files\ngroup: files ldap\n",
             "group: files [NOTFOUND=return] systemd\npasswd: files[SUCCESS=continue]\n",
             "group: files # local only\n",
             "initgroups:\ngroup: files\npasswd:\n",
             "#group: files\nGroup: files\ngroup",
             "passwd: files systemd\ngroup: files\npasswd: compat\nhosts: files dns\n",
             "hosts: files [NOTFOUND=retrun] dns\npasswd: files\ngroup: files\n",
             "passwd: files\nsudoers: files [x]\n",
             "hosts: files [!success=Continue  unavail = return] dns\npasswd: files\n",
             "",
             std::string_view{with_nul, sizeof with_nul - 1},
         }) {
        const NssConfFacts f = nss_conf_facts(conf);
        EXPECT_EQ(f.parses, nss_conf_parses(conf)) << conf;
        EXPECT_EQ(f.passwd, nss_services(conf, "passwd")) << conf;
        EXPECT_EQ(f.group, nss_services(conf, "group")) << conf;
        EXPECT_EQ(f.initgroups, nss_initgroups_services(conf)) << conf;
    }
}

TEST(FilesPasswd, FirstEntryAsNssFilesReadsIt) {
    const std::string_view passwd =
        "root:x:0:0:root:/root:/bin/bash\n"
        "\n"
        "# app:x:9:9::/comment:/bin/sh\n"
        "  \tapp:x:1000:1001:App,,,:/srv/app:/bin/sh\n"  // leading blanks dropped
        "app:x:1002:1002::/second:/bin/sh\n"               // the first match wins
        "+nis:x:2000:2000::/nis:/bin/sh\n"
        "-other:x:2001:2001::/x:/bin/sh\n"
        "short:x:3000:3000\n"
        "colons:x:3001:3001:g:/d:/bin/sh:more:fields\n"
        "bad:x:3x:3002::/b:/bin/sh\n"
        "bad:x:3003:3003::/b2:/bin/sh\n"
        "spaced:x: 3004:3004::/s:/bin/sh\n"
        "last:x:3005:3005::/l:/bin/false";  // no newline at the end
    auto by_name = [&](std::string_view name) { return files_passwd_by_name(passwd, name); };
    EXPECT_EQ(by_name("app").entry, (UserEntry{"app", 1000, 1001, "/srv/app", "/bin/sh"}));
    EXPECT_EQ(by_name("root").entry, (UserEntry{"root", 0, 0, "/root", "/bin/bash"}));
    EXPECT_EQ(by_name("short").entry, (UserEntry{"short", 3000, 3000, "", ""}));
    EXPECT_EQ(by_name("colons").entry, (UserEntry{"colons", 3001, 3001, "/d", "/bin/sh:more:fields"}));
    EXPECT_EQ(by_name("bad").entry, (UserEntry{"bad", 3003, 3003, "/b2", "/bin/sh"}));
    EXPECT_EQ(by_name("last").entry, (UserEntry{"last", 3005, 3005, "/l", "/bin/false"}));
    for (std::string_view missing : {"nis", "+nis", "other", "-other", "# app", "nobody"}) {
        EXPECT_TRUE(by_name(missing).sure) << missing;
        EXPECT_EQ(by_name(missing).entry, std::nullopt) << missing;
    }
    EXPECT_FALSE(by_name("spaced").sure);  // " 3004": glibc reads it, but left to glibc

    auto by_uid = [&](uid_t uid) { return files_passwd_by_uid(passwd, uid); };
    EXPECT_EQ(by_uid(1000).entry->name, "app");
    EXPECT_EQ(by_uid(1002).entry->home, "/second");
    EXPECT_EQ(by_uid(0).entry->name, "root");
    EXPECT_EQ(files_passwd_by_uid("+nis:x:2000:2000::/nis:/bin/sh\n", 2000).entry, std::nullopt);  // +/-: never
    EXPECT_TRUE(files_passwd_by_uid("+nis:x:2000:2000::/nis:/bin/sh\n", 2000).sure);
    // The uid of " 3004" is not certain: every lookup after that line by uid goes to glibc.
    EXPECT_FALSE(by_uid(3005).sure);
    EXPECT_TRUE(by_uid(3003).sure);

    const std::string_view negative = "neg:x:-5:1::/n:/bin/sh\nok:x:7:7::/o:/bin/sh\n";
    EXPECT_FALSE(files_passwd_by_name(negative, "neg").sure);
    EXPECT_EQ(files_passwd_by_name(negative, "ok").entry->uid, 7U);
    EXPECT_FALSE(files_passwd_by_uid(negative, 7).sure);
    static constexpr char with_nul[] = "a\0b:x:1:1::/a:/bin/sh\na:x:2:2::/a2:/bin/sh\n";
    EXPECT_EQ(files_passwd_by_name({with_nul, sizeof with_nul - 1}, "a").entry->uid, 2U);
}

TEST(FilesGroup, FirstEntryAsNssFilesReadsIt) {
    const std::string group =
        "# staff:x:1:\n"
        "\n"
        "  \twheel:x:10:alice,bob\n"
        "+nis:x:11:\n"
        "-gone:x:12:\n"
        "bad:x:1x3:\n"
        "bad:x:13:\n"
        "dup:x:14:\n"
        "again:x:14:\n"
        "short:x:15\n"
        "nogid:x:\n"
        "last:x:16:";
    auto by_name = [&](std::string_view name) { return files_group_by_name(group, name); };
    auto by_gid = [&](gid_t gid) { return files_group_by_gid(group, gid); };
    EXPECT_EQ(by_name("wheel").entry, (GroupEntry{"wheel", 10}));  // blanks before the name skipped
    EXPECT_EQ(by_name("bad").entry, (GroupEntry{"bad", 13}));      // a line whose gid does not parse is skipped
    EXPECT_EQ(by_name("dup").entry, (GroupEntry{"dup", 14}));
    EXPECT_EQ(by_gid(14).entry, (GroupEntry{"dup", 14}));          // the first line of a gid
    EXPECT_EQ(by_name("short").entry, (GroupEntry{"short", 15}));  // no member list: none
    EXPECT_EQ(by_name("last").entry, (GroupEntry{"last", 16}));    // no newline at the end
    for (std::string_view none : {"# staff", "staff", "nis", "+nis", "gone", "-gone", "nogid", "nosuch"}) {
        const auto found = by_name(none);
        EXPECT_TRUE(found.sure) << none;
        EXPECT_EQ(found.entry, std::nullopt) << none;
    }
    EXPECT_EQ(by_gid(1).entry, std::nullopt);   // only in a comment
    EXPECT_EQ(by_gid(11).entry, std::nullopt);  // NIS entries never match
    EXPECT_EQ(by_gid(0).entry, std::nullopt);
    // A gid glibc reads its own way, on a line that could match: left to glibc.
    const std::string negative = "neg:x:-2:\nok:x:7:\n";
    EXPECT_FALSE(files_group_by_name(negative, "neg").sure);
    EXPECT_FALSE(files_group_by_gid(negative, 7).sure);  // neg's gid, as glibc reads it, cannot be ruled out
    EXPECT_EQ(files_group_by_name(negative, "ok").entry, (GroupEntry{"ok", 7}));
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

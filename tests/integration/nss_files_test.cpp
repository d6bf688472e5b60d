// NssFiles against glibc itself, as root: getgrouplist(), getpwnam_r() and
// getpwuid_r() for every user in /etc/passwd (and a few names that are not
// there), on this machine as it is and with crafted /etc/passwd, /etc/group
// and /etc/nsswitch.conf files bind-mounted in a private mount namespace (a
// forked child per case), so the fast paths' reading of them is checked
// against glibc's, line by line.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eslaunch/nss_files.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

struct Answer {
    std::string user;
    std::string fast;    // NssFiles::groups(): the gids, space-separated
    std::string glibc;   // getgrouplist()
    std::string fallback;  // why NssFiles::groups() asked glibc ("" when it read /etc/group)
    std::string fast_pw;   // NssFiles::passwd_by_name(): "name:uid:gid:dir:shell", "-" when it asks glibc
    std::string glibc_pw;  // getpwnam_r(): the same, "none" when not found
    std::string fast_pwuid;   // NssFiles::passwd_by_uid() of glibc_pw's uid (or of 4242)
    std::string glibc_pwuid;  // getpwuid_r()
};

std::string show(const std::optional<UserEntry>& e) {
    if (!e) return "-";
    return e->name + ":" + std::to_string(e->uid) + ":" + std::to_string(e->gid) + ":" + e->home + ":" + e->shell;
}

std::string show(const passwd* pw) {
    if (pw == nullptr) return "none";
    return std::string{pw->pw_name} + ":" + std::to_string(pw->pw_uid) + ":" + std::to_string(pw->pw_gid) + ":" +
           pw->pw_dir + ":" + pw->pw_shell;
}

std::string join(const std::vector<gid_t>& gids) {
    std::string out;
    for (gid_t g : gids) out += (out.empty() ? "" : " ") + std::to_string(g);
    return out;
}

std::vector<gid_t> glibc_groups(const std::string& user, gid_t gid) {
    int count = 4;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (getgrouplist(user.c_str(), gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
        getgrouplist(user.c_str(), gid, groups.data(), &count);
    }
    groups.resize(static_cast<std::size_t>(count));
    return groups;
}

class NssFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root (mount namespaces, bind mounts over /etc)";
        dir_ = fs::temp_directory_path() / ("eslaunch-initgroups-" + std::to_string(getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir_.empty()) fs::remove_all(dir_, ec);
    }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = dir_ / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    // In a forked child with its own mount namespace: `setup` (bind mounts;
    // false: failed), then `body`, whose text the child sends back through a
    // pipe.
    static std::string in_namespace(const std::function<bool()>& setup, const std::function<std::string()>& body) {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
        const pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(3);
            if (!setup()) _exit(4);
            const std::string out = body();
            const char* p = out.data();
            std::size_t left = out.size();
            while (left > 0) {
                const ssize_t n = ::write(fds[1], p, left);
                if (n <= 0) _exit(5);
                p += n;
                left -= static_cast<std::size_t>(n);
            }
            _exit(0);
        }
        close(fds[1]);
        std::string text;
        char buf[4096];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
        return text;
    }

    // The tab-separated lines of `text`, each of `count` fields (a line of
    // another count is a failure, and left out).
    static std::vector<std::vector<std::string>> tab_lines(const std::string& text, std::size_t count) {
        std::vector<std::vector<std::string>> out;
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            std::vector<std::string> fields;
            std::istringstream in(line);
            std::string field;
            while (std::getline(in, field, '\t')) fields.push_back(field);
            if (!line.empty() && line.back() == '\t') fields.emplace_back();
            if (fields.size() == count) {
                out.push_back(fields);
            } else {
                ADD_FAILURE() << "a line of " << fields.size() << " fields, not " << count << ": " << line;
            }
        }
        return out;
    }

    // Both answers for every passwd user and `extra` names (with gid 4242),
    // in a namespace set up by `setup`; one tab-separated line per user.
    std::vector<Answer> answers(const std::function<bool()>& setup, const std::vector<std::string>& extra = {}) {
        // This machine's users, read here: in the child a broken
        // nsswitch.conf may hide them all from getpwent().
        std::vector<std::pair<std::string, gid_t>> machine_users;
        setpwent();
        while (const passwd* pw = getpwent()) machine_users.emplace_back(pw->pw_name, pw->pw_gid);
        endpwent();
        const std::string text = in_namespace(setup, [&] {
            std::vector<std::pair<std::string, gid_t>> users;
            setpwent();
            while (const passwd* pw = getpwent()) users.emplace_back(pw->pw_name, pw->pw_gid);
            endpwent();
            if (users.empty()) users = machine_users;
            for (const auto& name : extra) users.emplace_back(name, 4242);
            std::string out;
            for (const auto& [name, gid] : users) {
                const NssFiles nss = NssFiles::read();
                const GroupList fast = nss.groups(name, gid);
                std::vector<char> buf(1 << 16);
                passwd pw{};
                passwd* found = nullptr;
                getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
                const std::string by_name = show(found);
                const uid_t uid = found != nullptr ? found->pw_uid : 4242;
                getpwuid_r(uid, &pw, buf.data(), buf.size(), &found);
                out += name + "\t" + fast.fallback + "\t" + join(fast.groups) + "\t" + join(glibc_groups(name, gid)) +
                       "\t" + show(nss.passwd_by_name(name)) + "\t" + by_name + "\t" + show(nss.passwd_by_uid(uid)) +
                       "\t" + show(found) + "\n";
            }
            return out;
        });
        std::vector<Answer> out;
        for (const auto& f : tab_lines(text, 8)) {
            out.push_back(Answer{f[0], f[2], f[3], f[1], f[4], f[5], f[6], f[7]});
        }
        return out;
    }

    // NssFiles::group_by_name and group_by_gid against getgrnam_r and
    // getgrgid_r, for `names` and `gids`: "name:gid", "-" where NssFiles
    // leaves it to glibc, "none" where glibc finds nothing.
    struct GroupAnswer {
        std::string asked, fast, glibc;
    };
    static std::vector<GroupAnswer> group_answers(const std::function<bool()>& setup,
                                                  const std::vector<std::string>& names, const std::vector<gid_t>& gids) {
        const std::string text = in_namespace(setup, [&] {
            auto show_group = [](const group* g) {
                return g == nullptr ? std::string{"none"} : std::string{g->gr_name} + ":" + std::to_string(g->gr_gid);
            };
            auto show_fast = [](const std::optional<GroupEntry>& e) {
                return e ? e->name + ":" + std::to_string(e->gid) : std::string{"-"};
            };
            const NssFiles nss = NssFiles::read();
            std::vector<char> buf(1 << 16);
            group gr{};
            group* found = nullptr;
            std::string out;
            for (const auto& name : names) {
                getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found);
                out += "name " + name + "\t" + show_fast(nss.group_by_name(name)) + "\t" + show_group(found) + "\n";
            }
            for (gid_t gid : gids) {
                getgrgid_r(gid, &gr, buf.data(), buf.size(), &found);
                out += "gid " + std::to_string(gid) + "\t" + show_fast(nss.group_by_gid(gid)) + "\t" + show_group(found) +
                       "\n";
            }
            return out;
        });
        std::vector<GroupAnswer> out;
        for (const auto& f : tab_lines(text, 3)) {
            out.push_back({f[0], f[1], f[2]});
        }
        return out;
    }

    // Every group NssFiles read itself is glibc's; returns how many it read.
    static int expect_same_groups(const std::vector<GroupAnswer>& got) {
        int read_directly = 0;
        for (const auto& a : got) {
            if (a.fast == "-") continue;
            EXPECT_EQ(a.fast, a.glibc) << a.asked;
            ++read_directly;
        }
        return read_directly;
    }

    static bool bind(const std::string& from, const char* to) {
        return mount(from.c_str(), to, nullptr, MS_BIND, nullptr) == 0;
    }

    // Every answer the same as glibc's; `fast`: each from /etc/group alone.
    // A passwd entry read from /etc/passwd is glibc's, always.
    static void expect_agreement(const std::vector<Answer>& answers, bool fast, std::string_view fallback_has = {}) {
        ASSERT_FALSE(answers.empty());
        for (const auto& a : answers) {
            expect_same_passwd(a);
            EXPECT_EQ(a.fast, a.glibc) << a.user << " (fallback: '" << a.fallback << "')";
            if (fast) {
                EXPECT_EQ(a.fallback, "") << a.user;
            } else {
                EXPECT_THAT(a.fallback, ::testing::HasSubstr(std::string{fallback_has})) << a.user;
            }
        }
    }

    static void expect_same_passwd(const Answer& a) {
        if (a.fast_pw != "-") {
            EXPECT_EQ(a.fast_pw, a.glibc_pw) << a.user;
        }
        if (a.fast_pwuid != "-") {
            EXPECT_EQ(a.fast_pwuid, a.glibc_pwuid) << a.user;
        }
    }

    static bool nscd_running() {
        struct stat st {};
        return lstat("/var/run/nscd/socket", &st) == 0;
    }

    fs::path dir_;
};

// Users of this machine's /etc/passwd in several groups, with the base gid
// among them, duplicates, comments, blanks and malformed lines.
const std::string crafted_group =
    "root:x:0:\n"
    "daemon:x:1:daemon,bin\n"             // daemon's base gid, listed as member
    "bin:x:2:daemon, bin ,sys\n"          // " bin " is not "bin"; " bin" would be
    "sys:x:3:bin,sys,daemon\n"
    "\n"
    "   \n"
    "# a comment:x:40:daemon\n"           // glibc's initgroups reads it as a group
    "#c2:x:41:sys\n"
    "dup:x:42:daemon,nobody\n"
    "dup2:x:42:daemon\n"                  // gid 42 again
    "again:x:43:daemon,daemon\n"          // the user twice in one line
    "nogroup:x:65534:nobody\n"            // nobody's base gid
    "  spaced:x:44:nobody\n"
    "malformed\n"
    "nogid:x::daemon\n"
    "badgid:x:4x:daemon\n"
    "short:x:45\n"
    "+nis:x:46:daemon\n"
    "-nis::47:bin\n"
    "+bare:x::sys\n"
    "commas:x:48:,,sys,,\n"
    "ghosts:x:49:eslaunch-ghost, eslaunch-ghost\n"
    "big:x:4294967295:bin\n"
    "end:x:50:daemon";                    // no newline at the end

TEST_F(NssFilesTest, ThisMachineAsItIs) {
    const auto got = answers([] { return true; }, {"eslaunch-ghost"});
    ASSERT_FALSE(got.empty());
    // Where NssFiles refused, it asked glibc: comparing that answer would
    // compare glibc with glibc. Only what it read itself counts.
    int read_directly = 0;
    for (const auto& a : got) {
        expect_same_passwd(a);
        read_directly += (a.fast_pw != "-" ? 1 : 0) + (a.fast_pwuid != "-" ? 1 : 0);
        if (!a.fallback.empty()) continue;
        EXPECT_EQ(a.fast, a.glibc) << a.user;
        ++read_directly;
    }
    std::cout << "this machine: " << (got.front().fallback.empty() ? "/etc/group read directly" : got.front().fallback)
              << ", " << read_directly << " answers read directly\n";
    if (read_directly == 0) {
        GTEST_SKIP() << "SKIP: NssFiles reads nothing itself on this machine (" << got.front().fallback
                     << "): every answer is glibc's, and nothing would be compared";
    }
}

TEST_F(NssFilesTest, FilesOnly) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("files.conf", "passwd: files\ngroup: files\n");
    const std::string group = write("group", crafted_group);
    const auto got = answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); },
                             {"eslaunch-ghost", "nis"});
    expect_agreement(got, true);
    // Not a vacuous agreement: daemon is in several groups.
    for (const auto& a : got) {
        if (a.user == "daemon") {
            EXPECT_EQ(a.fast, "1 2 3 40 42 42 43 46 50");
        }
    }
}

TEST_F(NssFilesTest, FilesSystemdWithoutUserdb) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("files-systemd.conf", "passwd: files systemd\ngroup: files systemd\n");
    const std::string group = write("group", crafted_group);
    // A fresh /run: no /run/systemd/userdb, no /run/userdb drop-ins.
    const auto got = answers(
        [&] {
            return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group") &&
                   mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") == 0;
        },
        {"eslaunch-ghost"});
    bool dropin_dirs = false;
    for (const char* d : {"/etc/userdb", "/usr/local/lib/userdb", "/usr/lib/userdb", "/lib/userdb"}) {
        dropin_dirs = dropin_dirs || fs::exists(d);
    }
    expect_agreement(got, !dropin_dirs);
}

TEST_F(NssFilesTest, InitgroupsLineWins) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("initgroups.conf", "passwd: files\ngroup: files ldap\ninitgroups: files\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), true);
}

TEST_F(NssFilesTest, ActionItemsGoToGlibc) {
    const std::string conf = write("actions.conf", "passwd: files\ngroup: files [SUCCESS=return] systemd\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "not files [systemd]");
}

TEST_F(NssFilesTest, NoGroupLineGoesToGlibc) {
    const std::string conf = write("nogroup.conf", "passwd: files\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "no initgroups: or group: line");
}

TEST_F(NssFilesTest, AGidGlibcReadsItsOwnWayGoesToGlibc) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("files.conf", "passwd: files\ngroup: files\n");
    const std::string group = write("group", crafted_group + "\nneg:x:-2:daemon\nwide:x:4294967296:daemon\n");
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "/etc/group writes a gid");
}

// getgrnam_r and getgrgid_r as nss_files reads /etc/group: comments and
// blank lines skipped (unlike its initgroups), blanks before a name, the
// first of two lines with one gid, NIS entries never, malformed gids.
const std::vector<std::string> crafted_group_names = {
    "root", "daemon", "bin", "sys", "dup", "dup2", "again", "nogroup", "spaced", "  spaced", "malformed", "nogid",
    "badgid", "short", "+nis", "nis", "-nis", "+bare", "bare", "commas", "ghosts", "big", "end", "# a comment",
    "#c2", "c2", "eslaunch-nosuch", ""};
const std::vector<gid_t> crafted_group_gids = {0, 1, 2, 3, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 65534,
                                               4294967295U, 4242};

TEST_F(NssFilesTest, GroupsAsNssFilesReadsThem) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string group = write("group", crafted_group);
    for (const char* text : {"passwd: files\ngroup: files\n", "passwd: files\ngroup: files systemd\n"}) {
        const std::string conf = write("files.conf", text);
        const auto got = group_answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); },
                                       crafted_group_names, crafted_group_gids);
        ASSERT_EQ(got.size(), crafted_group_names.size() + crafted_group_gids.size());
        // Not a vacuous agreement: most of them are read directly.
        EXPECT_GT(expect_same_groups(got), 20) << text;
        for (const auto& a : got) {
            if (a.asked == "gid 42") {
                EXPECT_EQ(a.fast, "dup:42");  // the first line of gid 42
            }
            if (a.asked == "name spaced") {
                EXPECT_EQ(a.fast, "spaced:44");  // blanks before the name are skipped
            }
        }
    }
}

// Where the group services do not start with files, or have an action
// item, or nsswitch.conf is broken, every group lookup goes to glibc.
TEST_F(NssFilesTest, GroupLookupsGoToGlibcUnlessFilesAnswersFirst) {
    const std::string group = write("group", crafted_group);
    for (const char* text : {"passwd: files\ngroup: systemd files\n", "passwd: files\ngroup: files [SUCCESS=return]\n",
                             "passwd: files\n", "group: files\nhosts: files [NOTFOUND=retrun] dns\n"}) {
        const std::string conf = write("other.conf", text);
        const auto got = group_answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); },
                                       crafted_group_names, crafted_group_gids);
        ASSERT_FALSE(got.empty());
        for (const auto& a : got) EXPECT_EQ(a.fast, "-") << text << a.asked;
    }
}

// A membership drop-in makes nss-systemd add a group /etc/group does not
// list: that must go to glibc. (An empty drop-in is a mask to systemd.)
TEST_F(NssFilesTest, MembershipDropInGoesToGlibc) {
    const std::string conf = write("files-systemd.conf", "passwd: files systemd\ngroup: files systemd\n");
    const std::string group = write("group", crafted_group);
    const auto got = answers([&] {
        if (!bind(conf, "/etc/nsswitch.conf") || !bind(group, "/etc/group")) return false;
        if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0 || mkdir("/run/userdb", 0755) != 0) return false;
        const int fd = open("/run/userdb/bin:dup.membership", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return false;
        const bool written = ::write(fd, "{}\n", 3) == 3;
        close(fd);
        return written;
    });
    expect_agreement(got, false, "may add a group");
    // Where nss-systemd is installed, the drop-in really counts: bin gets
    // dup (42), which /etc/group does not give it.
    for (const auto& a : got) {
        if (a.user != "bin") continue;
        std::istringstream gids(a.glibc);
        const std::vector<std::string> list{std::istream_iterator<std::string>(gids), {}};
        const bool added = std::find(list.begin(), list.end(), "42") != list.end();
        std::cout << "bin with /run/userdb/bin:dup.membership, getgrouplist: " << a.glibc
                  << (added ? " (nss-systemd added dup, 42)" : " (nss-systemd added nothing)") << "\n";
        if (fs::exists("/lib/x86_64-linux-gnu/libnss_systemd.so.2")) {
            EXPECT_TRUE(added) << "nss-systemd is installed but did not read the drop-in";
        }
    }
}

TEST_F(NssFilesTest, UserdbServiceGoesToGlibc) {
    const std::string conf = write("files-systemd.conf", "passwd: files\ngroup: files systemd\n");
    const auto got = answers([&] {
        if (!bind(conf, "/etc/nsswitch.conf")) return false;
        if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) return false;
        if (mkdir("/run/systemd", 0755) != 0 || mkdir("/run/systemd/userdb", 0755) != 0) return false;
        const int fd = open("/run/systemd/userdb/io.systemd.Home", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return false;
        close(fd);
        return true;
    });
    expect_agreement(got, false, "io.systemd.Home");
}

// /etc/passwd with this machine's users, then lines nss_files reads its own
// way: blanks before the name, comments, short and long lines, a bad uid,
// duplicates, NIS entries, a name listed twice.
TEST_F(NssFilesTest, PasswdAsNssFilesReadsIt) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    std::ifstream in("/etc/passwd");
    std::string passwd{std::istreambuf_iterator<char>(in), {}};
    passwd +=
        "\n"
        "  \tlead:x:3001:3001:gecos:/home/lead:/bin/sh\n"
        "# comm:x:3002:3002::/c:/bin/sh\n"
        "#comm2:x:3003:3003::/c:/bin/sh\n"
        "short:x:3004:3004\n"
        "colons:x:3005:3005:g:/d:/bin/sh:extra:more\n"
        "baduid:x:30x6:3006::/b:/bin/sh\n"
        "baduid:x:3006:3006::/b2:/bin/sh\n"
        "dup:x:3009:3009::/first:/bin/sh\n"
        "dup:x:3010:3010::/second:/bin/sh\n"
        "+plus:x:3011:3011::/p:/bin/sh\n"
        "-minus:x:3012:3012::/m:/bin/sh\n"
        " \t\n"
        "end:x:3013:3013::/e:/bin/false";
    const std::string conf = write("files.conf", "passwd: files systemd\ngroup: files\nhosts: files [NOTFOUND=return] dns\n");
    const std::string file = write("passwd", passwd);
    const auto got = answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(file, "/etc/passwd"); },
                             {"plus", "+plus", "minus", "comm", "# comm", "eslaunch-ghost"});
    ASSERT_FALSE(got.empty());
    int read_directly = 0;
    for (const auto& a : got) {
        expect_same_passwd(a);
        if (a.glibc_pw != "none") {
            // Found by glibc: read directly too (no id here is spelled in a way left to glibc).
            EXPECT_NE(a.fast_pw, "-") << a.user;
            ++read_directly;
        }
    }
    EXPECT_GT(read_directly, 10);
}

// An action list glibc cannot parse anywhere in nsswitch.conf makes it drop
// the file: getpwnam_r then finds nobody, and neither may the fast path.
TEST_F(NssFilesTest, BrokenNsswitchConfGoesToGlibc) {
    const std::string conf = write("broken.conf", "passwd: files\ngroup: files\nhosts: files [NOTFOUND=retrun] dns\n");
    const auto got = answers([&] { return bind(conf, "/etc/nsswitch.conf"); });
    ASSERT_FALSE(got.empty());
    for (const auto& a : got) {
        expect_same_passwd(a);
        EXPECT_EQ(a.fast_pw, "-") << a.user;
    }
}

}  // namespace
}  // namespace eslaunch

// database_groups() against glibc's getgrouplist() itself, as root: for
// every user in /etc/passwd (and a few names that are not there), on this
// machine as it is and with crafted /etc/group and /etc/nsswitch.conf files
// bind-mounted in a private mount namespace (a forked child per case), so
// the fast path's reading of them is checked against glibc's, line by line.
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

#include "eslaunch/initgroups.hpp"

namespace eslaunch {
namespace {

namespace fs = std::filesystem;

struct Answer {
    std::string user;
    std::string fast;    // database_groups(): the gids, space-separated
    std::string glibc;   // getgrouplist()
    std::string fallback;  // why database_groups() asked glibc ("" when it read /etc/group)
};

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

class InitgroupsTest : public ::testing::Test {
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
    // false: failed), then both answers for every passwd user and `extra`
    // names (with gid 4242). The child reports through a pipe, one line per
    // user: name, fallback, fast gids, glibc gids, tab-separated.
    std::vector<Answer> answers(const std::function<bool()>& setup, const std::vector<std::string>& extra = {}) {
        int fds[2];
        EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
        const pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(3);
            if (!setup()) _exit(4);
            std::vector<std::pair<std::string, gid_t>> users;
            setpwent();
            while (const passwd* pw = getpwent()) users.emplace_back(pw->pw_name, pw->pw_gid);
            endpwent();
            for (const auto& name : extra) users.emplace_back(name, 4242);
            std::string out;
            for (const auto& [name, gid] : users) {
                const GroupList fast = database_groups(name, gid);
                out += name + "\t" + fast.fallback + "\t" + join(fast.groups) + "\t" + join(glibc_groups(name, gid)) + "\n";
            }
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
        std::vector<Answer> out;
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            Answer a;
            std::istringstream fields(line);
            std::getline(fields, a.user, '\t');
            std::getline(fields, a.fallback, '\t');
            std::getline(fields, a.fast, '\t');
            std::getline(fields, a.glibc, '\t');
            out.push_back(a);
        }
        return out;
    }

    static bool bind(const std::string& from, const char* to) {
        return mount(from.c_str(), to, nullptr, MS_BIND, nullptr) == 0;
    }

    // Every answer the same as glibc's; `fast`: each from /etc/group alone.
    static void expect_agreement(const std::vector<Answer>& answers, bool fast, std::string_view fallback_has = {}) {
        ASSERT_FALSE(answers.empty());
        for (const auto& a : answers) {
            EXPECT_EQ(a.fast, a.glibc) << a.user << " (fallback: '" << a.fallback << "')";
            if (fast) {
                EXPECT_EQ(a.fallback, "") << a.user;
            } else {
                EXPECT_THAT(a.fallback, ::testing::HasSubstr(std::string{fallback_has})) << a.user;
            }
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

TEST_F(InitgroupsTest, ThisMachineAsItIs) {
    const auto got = answers([] { return true; }, {"eslaunch-ghost"});
    ASSERT_FALSE(got.empty());
    for (const auto& a : got) EXPECT_EQ(a.fast, a.glibc) << a.user << " (fallback: '" << a.fallback << "')";
    std::cout << "this machine: " << (got.front().fallback.empty() ? "/etc/group read directly" : got.front().fallback)
              << "\n";
}

TEST_F(InitgroupsTest, FilesOnly) {
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

TEST_F(InitgroupsTest, FilesSystemdWithoutUserdb) {
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

TEST_F(InitgroupsTest, InitgroupsLineWins) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("initgroups.conf", "passwd: files\ngroup: files ldap\ninitgroups: files\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), true);
}

TEST_F(InitgroupsTest, ActionItemsGoToGlibc) {
    const std::string conf = write("actions.conf", "passwd: files\ngroup: files [SUCCESS=return] systemd\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "not files [systemd]");
}

TEST_F(InitgroupsTest, NoGroupLineGoesToGlibc) {
    const std::string conf = write("nogroup.conf", "passwd: files\n");
    const std::string group = write("group", crafted_group);
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "no initgroups: or group: line");
}

TEST_F(InitgroupsTest, AGidGlibcReadsItsOwnWayGoesToGlibc) {
    if (nscd_running()) GTEST_SKIP() << "nscd runs here: every lookup goes to glibc";
    const std::string conf = write("files.conf", "passwd: files\ngroup: files\n");
    const std::string group = write("group", crafted_group + "\nneg:x:-2:daemon\nwide:x:4294967296:daemon\n");
    expect_agreement(answers([&] { return bind(conf, "/etc/nsswitch.conf") && bind(group, "/etc/group"); }), false,
                     "/etc/group writes a gid");
}

// A membership drop-in makes nss-systemd add a group /etc/group does not
// list: that must go to glibc. (An empty drop-in is a mask to systemd.)
TEST_F(InitgroupsTest, MembershipDropInGoesToGlibc) {
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

TEST_F(InitgroupsTest, UserdbServiceGoesToGlibc) {
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

}  // namespace
}  // namespace eslaunch

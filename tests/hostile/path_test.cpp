// Finding 1: a spec path an attacker can change or swap. eslaunch, as root,
// must refuse a path through anything an unprivileged user could change,
// judging what it really traverses, and must never run the attacker's
// command: not once in hundreds of launches against a renameat2() loop.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>  // renameat2
#include <sys/prctl.h>
#include <sys/stat.h>

#include <gmock/gmock.h>

#include "hostile.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::vector<std::string> base_env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

class SpecPath : public ::testing::Test {
protected:
    void SetUp() override {
        HOSTILE_REQUIRE_ROOT();
        base_ = make_launch_dir("path");
        ASSERT_FALSE(base_.empty());
        attacker_ = uid_of(attacker_user);
        attacker_gid_ = gid_of(attacker_user);
        // What the attacker's spec runs: a line per run, with the uid it ran as.
        pwned_ = base_ / "out" / "pwned";
        write_file(base_ / "attacker.sh", "#!/bin/sh\nid -u >> " + pwned_.string() + "\n", 0755, attacker_,
                   attacker_gid_);
        // The operator's spec, in a root-owned directory.
        fs::create_directory(base_ / "rootconf");
        write_file(base_ / "rootconf" / "es.ini", "[program:es]\ncommand=/bin/true\nuser=" + std::string{test_user} + "\n");
    }
    void TearDown() override {
        if (looper_ > 0) kill_and_reap(looper_);
        if (!base_.empty()) fs::remove_all(base_);
    }

    // A directory of the attacker's holding its own spec, whose command is
    // attacker.sh, as root, with allow_root=true.
    fs::path attacker_dir(const std::string& name) {
        const fs::path d = base_ / name;
        fs::create_directory(d);
        write_file(d / "es.ini", "[program:es]\ncommand=" + (base_ / "attacker.sh").string() + "\nallow_root=true\n",
                   0644, attacker_, attacker_gid_);
        EXPECT_EQ(chown(d.c_str(), attacker_, attacker_gid_), 0);
        return d;
    }
    void symlink_as_attacker(const fs::path& target, const fs::path& link) {
        fs::create_symlink(target, link);
        ASSERT_EQ(lchown(link.c_str(), attacker_, attacker_gid_), 0);
    }
    // Forks the attacker: as its uid, swaps `a` and `b` with
    // renameat2(RENAME_EXCHANGE) until killed.
    void start_swapping(const fs::path& a, const fs::path& b) {
        looper_ = fork();
        ASSERT_GE(looper_, 0);
        if (looper_ == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (setgroups(0, nullptr) != 0 || setgid(attacker_gid_) != 0 || setuid(attacker_) != 0) _exit(1);
            while (true) renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
        }
    }
    // Lines of uids the attacker's command wrote.
    std::vector<std::string> pwned_runs() const {
        std::ifstream in(pwned_);
        std::vector<std::string> runs;
        for (std::string line; std::getline(in, line);) runs.push_back(line);
        return runs;
    }

    fs::path base_;
    fs::path pwned_;
    uid_t attacker_ = 0;
    gid_t attacker_gid_ = 0;
    pid_t looper_ = -1;
};

TEST_F(SpecPath, ALinkInADirectoryOfAnotherUserIsRefusedEvenToARootDirectory) {
    // /base/udir (the attacker's) / conf -> /base/rootconf (root's): the
    // file and its real directories are root's, the way to them is not.
    const fs::path udir = attacker_dir("udir");
    symlink_as_attacker(base_ / "rootconf", udir / "conf");
    auto r = run_eslaunch({(udir / "conf" / "es.ini").string()}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(udir.string() + " is owned by uid " + std::to_string(attacker_) +
                                 ", not root (mode 0755): whoever can edit the spec chooses user= and command=; "
                                 "chown root " + udir.string()));
    auto check = run_eslaunch({"check", (udir / "conf" / "es.ini").string()}, base_env);
    EXPECT_EQ(check.status, 78) << check.err;
    // A root-owned link to the attacker's directory: refused at its target.
    const fs::path evil = attacker_dir("evil");
    fs::create_directory_symlink(evil, base_ / "rootlink");
    auto through = run_eslaunch({(base_ / "rootlink" / "es.ini").string()}, base_env);
    EXPECT_EQ(through.status, 78);
    EXPECT_THAT(through.err, HasSubstr(evil.string() + " is owned by uid "));
    // The attacker's link to the root-owned file itself, in a root directory.
    symlink_as_attacker(base_ / "rootconf" / "es.ini", base_ / "filelink.ini");
    auto file_link = run_eslaunch({(base_ / "filelink.ini").string()}, base_env);
    EXPECT_EQ(file_link.status, 78);
    EXPECT_THAT(file_link.err, HasSubstr("filelink.ini is a symbolic link owned by uid "));
    EXPECT_TRUE(pwned_runs().empty());
}

TEST_F(SpecPath, RootLinksAndStickyDirectoriesAreFine) {
    fs::create_directory_symlink(base_ / "rootconf", base_ / "link");
    auto r = run_eslaunch({(base_ / "link" / "es.ini").string()}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    // ../ after a link goes where the kernel goes: the link's target's parent.
    fs::create_directory(base_ / "rootconf" / "sub");
    auto dotdot = run_eslaunch({(base_ / "link" / "sub" / ".." / "es.ini").string()}, base_env);
    EXPECT_EQ(dotdot.status, 0) << dotdot.err;
    fs::create_directory(base_ / "sticky");
    fs::permissions(base_ / "sticky", fs::perms(01777));
    fs::copy(base_ / "rootconf", base_ / "sticky" / "conf", fs::copy_options::recursive);
    auto sticky = run_eslaunch({(base_ / "sticky" / "conf" / "es.ini").string()}, base_env);
    EXPECT_EQ(sticky.status, 0) << sticky.err;
}

TEST_F(SpecPath, ARenameExchangeLoopNeverRunsTheAttackersCommand) {
    // The attacker swaps udir/conf (-> root's directory) with udir/evil (->
    // its own) while root starts the unit again and again.
    const fs::path udir = attacker_dir("udir");
    const fs::path evil = attacker_dir("evil-target");
    symlink_as_attacker(base_ / "rootconf", udir / "conf");
    symlink_as_attacker(evil, udir / "evil");
    start_swapping(udir / "conf", udir / "evil");
    int refused = 0;
    constexpr int launches = 400;
    for (int i = 0; i < launches; ++i) {
        auto r = run_eslaunch({(udir / "conf" / "es.ini").string()}, base_env);
        if (r.status == 78 && r.err.find(udir.string() + " is owned by uid") != std::string::npos) ++refused;
    }
    EXPECT_EQ(refused, launches);
    EXPECT_THAT(pwned_runs(), ::testing::IsEmpty());
}

TEST_F(SpecPath, ARenameLoopInAStickyDirectoryCannotMoveRootsEntry) {
    // In a sticky directory the attacker may swap only its own entries: the
    // operator's spec keeps running, and the attacker's never does.
    const fs::path sticky = base_ / "sticky";
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms(01777));
    fs::copy(base_ / "rootconf", sticky / "conf", fs::copy_options::recursive);
    const fs::path evil = attacker_dir("evil-target");
    symlink_as_attacker(evil, sticky / "evil");
    start_swapping(sticky / "conf", sticky / "evil");
    int started = 0;
    constexpr int launches = 150;
    for (int i = 0; i < launches; ++i) {
        if (run_eslaunch({(sticky / "conf" / "es.ini").string()}, base_env).status == 0) ++started;
    }
    EXPECT_EQ(started, launches);
    EXPECT_THAT(pwned_runs(), ::testing::IsEmpty());
}

TEST_F(SpecPath, AFifoIsRefusedAtOnceAndNoFreeFdIsASystemError) {
    const fs::path fifo = base_ / "rootconf" / "fifo.ini";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
    const Usage u = run_measured({eslaunch_binary(), fifo.string()}, base_env, std::chrono::seconds{10});
    EXPECT_EQ(u.status, 78) << u.err;  // a plain open() would wait for a writer until killed
    EXPECT_THAT(u.err, HasSubstr(fifo.string() + ": not a regular file; give eslaunch the path of the spec file"));
    // With one fd to spare (ulimit -n 4: the dynamic loader needs it first),
    // the walk cannot hold a directory and its child; nothing about the file
    // is wrong: 71.
    auto r = run_command({"/usr/bin/prlimit", "--nofile=4", "--", eslaunch_binary(),
                          (base_ / "rootconf" / "es.ini").string()},
                         base_env);
    EXPECT_EQ(r.status, 71) << r.err;
    EXPECT_THAT(r.err, ::testing::MatchesRegex(".*: cannot open: Too many open files \\(/[^)]*\\); raise the "
                                               "open-file limit where eslaunch starts \\(ulimit -n\\)\n"));
}

}  // namespace
}  // namespace eslaunch::testing

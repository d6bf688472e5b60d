// The real eslaunch, as root: every failure exits with its systemd status,
// says what failed and how to fix it, and the program never starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::vector<std::string> base_env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

class LaunchErrors : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root: eslaunch drops privileges only when started as root";
        dir_ = make_launch_dir("errors");
        ASSERT_FALSE(dir_.empty());
        marker_ = (dir_ / "out" / "ran").string();
        write("program.sh", "#!/bin/sh\ntouch " + marker_ + "\n", 0755);
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    std::string write(const std::string& name, const std::string& text, unsigned mode = 0644) {
        const fs::path path = dir_ / name;
        std::ofstream(path) << text;
        fs::permissions(path, fs::perms(mode));
        return path.string();
    }
    std::string spec(const std::string& body) {
        return write("spec.ini", "[program:x]\ncommand=" + (dir_ / "program.sh").string() + "\n" + body);
    }
    void expect_refused(const RunResult& r, int status, const std::string& message) {
        EXPECT_EQ(r.status, status) << r.err;
        EXPECT_THAT(r.err, StartsWith("eslaunch: error: "));
        EXPECT_THAT(r.err, HasSubstr(message));
        EXPECT_FALSE(fs::exists(marker_)) << "the program ran after a failed step";
    }

    void expect_above_nr_open(Caps caps) {
        std::string max;
        std::ifstream("/proc/sys/fs/nr_open") >> max;
        ASSERT_FALSE(max.empty()) << "cannot read /proc/sys/fs/nr_open";
        const std::string wanted = std::to_string(std::stoull(max) + 1);
        auto r = run_command({eslaunch_binary(), spec("user=nobody\nlimit_nofile=" + wanted + "\n")}, base_env, {}, {},
                             -1, caps);
        expect_refused(r, 205,
                       ":4: limit_nofile=" + wanted + " is above the kernel's fs.nr_open (" + max +
                           "); lower limit_nofile, or raise the sysctl fs.nr_open to at least " + wanted + "\n");
    }

    fs::path dir_;
    std::string marker_;
};

TEST_F(LaunchErrors, TheProgramRunsWhenAllIsWell) {
    auto r = run_eslaunch({spec("user=nobody\n")}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(fs::exists(marker_));
}

TEST_F(LaunchErrors, UnknownUserIs217) {
    expect_refused(run_eslaunch({spec("user=eslaunch-no-such-user\n")}, base_env), 217,
                   ":3: user: user 'eslaunch-no-such-user' does not exist; create it (useradd --system "
                   "eslaunch-no-such-user) or fix user=");
}

TEST_F(LaunchErrors, RootWithoutUserIs217) {
    expect_refused(run_eslaunch({spec("")}, base_env), 217, "has no user=, so the program would run as root");
}

TEST_F(LaunchErrors, UnknownGroupIs216) {
    expect_refused(run_eslaunch({spec("user=nobody\ngroup=eslaunch-no-such-group\n")}, base_env), 216,
                   ":4: group: group 'eslaunch-no-such-group' does not exist");
}

// Without CAP_SYS_RESOURCE (dropped for the run, whatever this machine
// has) and under a hard limit of 4096 (prlimit, util-linux): one more is
// refused before the program starts.
TEST_F(LaunchErrors, LimitAboveTheHardLimitIs205) {
    const rlim_t hard = settable_nofile_hard(4096);
    const std::string wanted = std::to_string(hard + 1);
    const std::string soft_hard = std::to_string(std::min<rlim_t>(1024, hard)) + ":" + std::to_string(hard);
    auto r = run_command({"/usr/bin/prlimit", "--nofile=" + soft_hard, eslaunch_binary(),
                          spec("user=nobody\nlimit_nofile=" + wanted + "\n")},
                         base_env, {}, {}, -1, Caps::without_sys_resource);
    expect_refused(r, 205,
                   ":4: limit_nofile=" + wanted + ": the hard limit is " + std::to_string(hard) +
                       " and eslaunch cannot raise it (no CAP_SYS_RESOURCE); raise the hard limit where eslaunch "
                       "starts: LimitNOFILE=" + wanted + " in the unit, or minfds=" + wanted +
                       " in [supervisord], or run eslaunch as root with CAP_SYS_RESOURCE\n");
}

// Above fs.nr_open the kernel refuses any hard limit, capability or not:
// eslaunch says so first, and names the sysctl rather than a capability.
TEST_F(LaunchErrors, LimitAboveFsNrOpenIs205) {
    expect_above_nr_open(Caps::without_sys_resource);
}

TEST_F(LaunchErrors, LimitAboveFsNrOpenIs205WithCapSysResource) {
    if (!have_cap_sys_resource()) GTEST_SKIP() << needs_cap_sys_resource;
    expect_above_nr_open(Caps::inherit);
}

TEST_F(LaunchErrors, DirectoryTheUserCannotEnterIs200) {
    fs::create_directory(dir_ / "private");
    fs::permissions(dir_ / "private", fs::perms(0700));
    expect_refused(run_eslaunch({spec("user=nobody\ndirectory=" + (dir_ / "private").string() + "\n")}, base_env), 200,
                   "cannot enter directory " + (dir_ / "private").string() +
                       " as nobody: Permission denied; create it, or give the user access to it, or fix directory=");
}

TEST_F(LaunchErrors, ProgramTheUserCannotExecuteIs203) {
    write("program.sh", "#!/bin/sh\ntouch " + marker_ + "\n", 0744);  // root may, nobody may not
    expect_refused(run_eslaunch({spec("user=nobody\n")}, base_env), 203,
                   "cannot execute " + (dir_ / "program.sh").string() + " as nobody: Permission denied");
    const std::string missing = write("spec2.ini", "[program:x]\ncommand=eslaunch-no-such-program\nuser=nobody\n");
    expect_refused(run_eslaunch({missing}, base_env), 203,
                   ":2: command: 'eslaunch-no-such-program' is not in PATH (/usr/bin:/bin)");
}

TEST_F(LaunchErrors, NoNewPrivilegesFailureIs227) {
    const char* deny = std::getenv("ESLAUNCH_DENY_NNP");
    ASSERT_NE(deny, nullptr) << "ESLAUNCH_DENY_NNP is not set; run through meson test";
    auto r = run_command({deny, eslaunch_binary(), spec("user=nobody\n")}, base_env);
    expect_refused(r, 227, "prctl(PR_SET_NO_NEW_PRIVS): Operation not permitted; set no_new_privileges=false");
    // And with no_new_privileges=false the same filter does not matter.
    auto allowed = run_command({deny, eslaunch_binary(), spec("user=nobody\nno_new_privileges=false\n")}, base_env);
    EXPECT_EQ(allowed.status, 0) << allowed.err;
    EXPECT_TRUE(fs::exists(marker_));
}

TEST_F(LaunchErrors, SpecWritableByOthersIs78) {
    const std::string file = spec("user=nobody\n");
    fs::permissions(dir_, fs::perms(0777));
    expect_refused(run_eslaunch({file}, base_env), 78,
                   ": " + dir_.string() + " is writable by everyone (mode 0777): whoever can edit the spec chooses "
                                          "user= and command=; chmod go-w " + dir_.string());
    fs::permissions(dir_, fs::perms(0755));
    chown(file.c_str(), 65534, 65534);
    expect_refused(run_eslaunch({file}, base_env), 78, " is owned by uid 65534, not root (mode 0644)");
}

TEST_F(LaunchErrors, InvalidSpecIs78) {
    expect_refused(run_eslaunch({spec("user=nobody\nuser=nobody\n")}, base_env), 78, "'user' is set twice");
}

TEST_F(LaunchErrors, NotRootCannotSwitchUsers) {
    // eslaunch started as nobody (setpriv from util-linux) may run the program only as nobody.
    const std::string as_nobody = spec("user=nobody\n");
    auto ok = run_command({"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                           eslaunch_binary(), as_nobody},
                          base_env);
    EXPECT_EQ(ok.status, 0) << ok.err;
    EXPECT_TRUE(fs::exists(marker_));
    fs::remove(marker_);
    const std::string as_root = write("spec3.ini", "[program:x]\ncommand=" + (dir_ / "program.sh").string() +
                                                       "\nuser=root\nallow_root=true\n");
    expect_refused(run_command({"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                eslaunch_binary(), as_root},
                               base_env),
                   217, ":3: user=root: eslaunch is not running as root (uid 65534), so it cannot switch to uid 0");
}

// When stderr is the journal (JOURNAL_STREAM names it), every line carries
// sd-daemon's priority: <3> for each error, <4> for each warning.
TEST_F(LaunchErrors, MessagesCarryJournalPrioritiesWhenStderrIsTheJournal) {
    const std::string log = (dir_ / "stderr").string();
    std::ofstream(log).flush();
    std::vector<std::string> env = base_env;
    env.push_back(journal_stream_naming(log));
    auto read_log = [&] {
        std::ifstream in(log);
        return lines_of(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    };
    // Two errors: an unknown user, and a limit above fs.nr_open.
    std::string nr_open;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    ASSERT_FALSE(nr_open.empty());
    const std::string two = spec("user=eslaunch-no-such-user\nlimit_nofile=" + std::to_string(std::stoull(nr_open) + 1) +
                                 "\n");
    auto r = run_command({eslaunch_binary(), two}, env, {}, log);
    EXPECT_EQ(r.status, 217);
    auto lines = read_log();
    ASSERT_EQ(lines.size(), 2U) << ::testing::PrintToString(lines);
    EXPECT_THAT(lines[0], StartsWith("<3>eslaunch: error: " + two + ":3: user: user 'eslaunch-no-such-user' does not"));
    EXPECT_THAT(lines[1], StartsWith("<3>eslaunch: error: " + two + ":4: limit_nofile="));
    EXPECT_FALSE(fs::exists(marker_));

    // A warning (group=root), then an error (PR_SET_NO_NEW_PRIVS refused).
    const char* deny = std::getenv("ESLAUNCH_DENY_NNP");
    ASSERT_NE(deny, nullptr) << "ESLAUNCH_DENY_NNP is not set; run through meson test";
    const std::string warned = spec("user=nobody\ngroup=root\n");
    r = run_command({deny, eslaunch_binary(), warned}, env, {}, log);
    EXPECT_EQ(r.status, 227);
    lines = read_log();
    ASSERT_EQ(lines.size(), 2U) << ::testing::PrintToString(lines);
    EXPECT_THAT(lines[0], StartsWith("<4>eslaunch: warning: " + warned + ":4: group=root makes gid 0"));
    EXPECT_THAT(lines[1], StartsWith("<3>eslaunch: error: " + warned + ": prctl(PR_SET_NO_NEW_PRIVS)"));

    // A JOURNAL_STREAM that names another file: plain lines.
    env.back() = "JOURNAL_STREAM=1:1";
    auto plain = run_command({deny, eslaunch_binary(), warned}, env);
    lines = lines_of(plain.err);
    ASSERT_EQ(lines.size(), 2U) << plain.err;
    EXPECT_THAT(lines[0], StartsWith("eslaunch: warning: " + warned + ":4: group=root makes gid 0"));
    EXPECT_THAT(lines[1], StartsWith("eslaunch: error: " + warned + ": prctl(PR_SET_NO_NEW_PRIVS)"));
}

}  // namespace
}  // namespace eslaunch::testing

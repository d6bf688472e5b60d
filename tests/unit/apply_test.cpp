// apply_plan through the Syscalls seam: the order of the steps, and that a
// failure at any step stops everything after it with that step's status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cerrno>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "eslaunch/apply.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeSyscalls : public Syscalls {
public:
    std::vector<std::string> calls;
    std::map<std::string, int> fail;  // call name -> errno
    uid_t uid = 0;
    gid_t gid = 0;
    bool setuid_root_works = false;
    std::vector<std::string> exec_env;
    std::vector<std::string> watcher_env;
    WatcherStart watcher_start;  // what start_watcher reports when not in `fail`

    int record(const std::string& name) {
        calls.push_back(name);
        auto it = fail.find(name.substr(0, name.find('(')));
        return it == fail.end() ? 0 : it->second;
    }
    std::optional<Error> open_stdin(const LaunchPlan& plan) override {
        const std::string what = plan.stdin_file.empty() ? std::string{"/dev/null"} : plan.stdin_file;
        if (int err = record("open_stdin(" + what + ")"); err != 0) {
            return Error{status::config, plan.file, plan.stdin_line, "stdin: injected", ""};
        }
        return std::nullopt;
    }
    int set_stdin() override { return record("set_stdin"); }
    int set_rlimit(int resource, const rlimit& l) override {
        return record(fmt::format("setrlimit({},{},{})", resource, l.rlim_cur, l.rlim_max));
    }
    void set_umask(mode_t mask) override { record(fmt::format("umask({:o})", static_cast<unsigned>(mask))); }
    int set_groups(const std::vector<gid_t>& g) override { return record(fmt::format("setgroups({})", fmt::join(g, ","))); }
    int set_resgid(gid_t g) override {
        const int err = record(fmt::format("setresgid({})", g));
        if (err == 0) gid = g;
        return err;
    }
    int set_resuid(uid_t u) override {
        const int err = record(fmt::format("setresuid({})", u));
        if (err == 0) uid = u;
        return err;
    }
    int get_resuid(uid_t& r, uid_t& e, uid_t& s) override {
        r = e = s = uid;
        return record("getresuid");
    }
    int get_resgid(gid_t& r, gid_t& e, gid_t& s) override {
        r = e = s = gid;
        return record("getresgid");
    }
    int try_setuid_root() override {
        record("setuid(0)");
        return setuid_root_works ? 0 : EPERM;
    }
    int set_no_new_privs() override { return record("no_new_privs"); }
    int change_dir(const std::string& dir) override { return record("chdir(" + dir + ")"); }
    int cloexec_inherited_fds(unsigned from, unsigned count) override {
        return record(fmt::format("cloexec(keep {}+{})", from, count));
    }
    WatcherStart start_watcher(const std::string& path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp) override {
        watcher_env = envp;
        if (int err = record(fmt::format("watcher({}, {})", path, fmt::join(argv, " "))); err != 0) {
            return {WatcherStart::Outcome::failed, err, ""};
        }
        return watcher_start;
    }
    std::optional<Error> make_tmpdir(const LaunchPlan& plan) override {
        if (record(fmt::format("tmpdir({},{},{})", plan.tmpdir.path, plan.uid, plan.gid)) == 0) return std::nullopt;
        return Error{status::cantcreat, plan.file, 0, "tmpdir cannot be created", ""};
    }
    int exec(const std::string& path, const std::vector<std::string>& argv,
             const std::vector<std::string>& envp) override {
        exec_env = envp;
        const int err = record(fmt::format("execve({}, {})", path, fmt::join(argv, " ")));
        return err == 0 ? ENOEXEC : err;  // a fake exec never "succeeds"
    }
};

LaunchPlan full_plan() {
    return plan_ok(
        "[program:x]\ncommand=/bin/sleep 5\nuser=work\numask=027\ndirectory=/srv\nlimit_nofile=4096:20000\n"
        "limit_core=0\n");
}

const std::vector<std::string> full_order = {
    "open_stdin(/dev/null)",  // stdin=null: opened first, before anything changes
    "setrlimit(7,4096,20000)",  // RLIMIT_NOFILE
    "setrlimit(4,0,0)",         // RLIMIT_CORE
    "umask(27)",
    "setgroups(1000,4)",
    "setresgid(1000)",
    "setresuid(1000)",
    "getresuid",
    "getresgid",
    "setuid(0)",
    "no_new_privs",
    "chdir(/srv)",
    "cloexec(keep 0+0)",
    "set_stdin",
    "execve(/bin/sleep, /bin/sleep 5)",
};

TEST(Apply, StepsInOrder) {
    FakeSyscalls sys;
    const Error e = apply_plan(full_plan(), sys, {});
    EXPECT_THAT(sys.calls, ::testing::ElementsAreArray(full_order));
    EXPECT_EQ(e.status, status::exec);  // the fake exec "fails" so apply returns
    EXPECT_THAT(sys.exec_env, ::testing::Contains("USER=work"));
}

// The tmpdir is made as root, after the limits and the umask, before the
// identity changes; its failure stops the launch there.
TEST(Apply, TheTmpdirIsMadeAsRootBeforeTheDrop) {
    const LaunchPlan plan = plan_ok("[program:x]\ncommand=/bin/sleep 5\nuser=work\numask=027\ntmpdir=/srv/x/tmp\n");
    FakeSyscalls sys;
    (void)apply_plan(plan, sys, {});
    ASSERT_GE(sys.calls.size(), 4U);
    EXPECT_EQ(sys.calls[0], "open_stdin(/dev/null)");  // step 0, stdin=
    EXPECT_EQ(sys.calls[1], "umask(27)");
    EXPECT_EQ(sys.calls[2], "tmpdir(/srv/x/tmp,1000,1000)");
    EXPECT_EQ(sys.calls[3], "setgroups(1000,4)");
    FakeSyscalls failing;
    failing.fail["tmpdir"] = EACCES;
    const Error e = apply_plan(plan, failing, {});
    EXPECT_EQ(e.status, status::cantcreat);
    EXPECT_EQ(failing.calls.back(), "tmpdir(/srv/x/tmp,1000,1000)");
}

// A memlock the node's memory lock requires, refused by setrlimit: the hint
// names the setting and the fix.
TEST(Apply, ARefusedMemlockForTheMemoryLockSaysWhy) {
    HostFacts host = es_host("7.17.25");
    host.cap_sys_resource = true;  // the plan thinks it can; the kernel says no
    host.es.memory_lock_where = "/opt/es/config/elasticsearch.yml:3";
    const LaunchPlan plan =
        plan_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nuser=work\ntmpdir=none\n", host);
    class NoMemlock : public FakeSyscalls {
        int set_rlimit(int resource, const rlimit& l) override {
            const int err = FakeSyscalls::set_rlimit(resource, l);
            return resource == RLIMIT_MEMLOCK ? EPERM : err;
        }
    } sys;
    const Error e = apply_plan(plan, sys, {});
    EXPECT_EQ(e.status, status::limits);
    EXPECT_THAT(e.hint, HasSubstr("bootstrap.memory_lock: true (/opt/es/config/elasticsearch.yml:3) needs it: set "
                                  "LimitMEMLOCK=infinity in the unit"));
}

struct Injected {
    std::string call;
    int err;
    int status;
    std::string message;
};

class ApplyFailure : public ::testing::TestWithParam<Injected> {};

TEST_P(ApplyFailure, StopsAtTheFailedStep) {
    const auto& c = GetParam();
    FakeSyscalls sys;
    sys.fail[c.call] = c.err;
    const Error e = apply_plan(full_plan(), sys, {});
    EXPECT_EQ(e.status, c.status);
    EXPECT_EQ(e.str(), c.message);
    ASSERT_FALSE(sys.calls.empty());
    // Nothing after the failed call ran: it is the last one recorded, and no exec.
    EXPECT_TRUE(sys.calls.back().starts_with(c.call)) << sys.calls.back();
    for (const auto& call : sys.calls) {
        if (c.call != "execve") {
            EXPECT_FALSE(call.starts_with("execve")) << "exec after a failed step";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, ApplyFailure,
    ::testing::Values(
        Injected{"setrlimit", EPERM, status::limits,
                 "/etc/eslaunch/test.ini: cannot set limit_nofile to 4096:20000 (hard limit now 20000): Operation not "
                 "permitted; raise the hard limit where eslaunch starts: LimitNOFILE=20000 in the unit, or "
                 "minfds=20000 in [supervisord], or run eslaunch as root with CAP_SYS_RESOURCE"},
        Injected{"setgroups", EPERM, status::group,
                 "/etc/eslaunch/test.ini: setgroups(1000,4): Operation not permitted; eslaunch must start as root to "
                 "switch groups"},
        Injected{"setresgid", EPERM, status::group,
                 "/etc/eslaunch/test.ini: setresgid(1000): Operation not permitted; eslaunch must start as root to "
                 "switch groups"},
        Injected{"setresuid", EPERM, status::user,
                 "/etc/eslaunch/test.ini: setresuid(1000) for user work: Operation not permitted; eslaunch must start "
                 "as root to switch users"},
        Injected{"setresuid", EAGAIN, status::user,
                 "/etc/eslaunch/test.ini: setresuid(1000) for user work: Resource temporarily unavailable; the user is "
                 "at its process limit (RLIMIT_NPROC)"},
        Injected{"no_new_privs", EINVAL, status::no_new_privileges,
                 "/etc/eslaunch/test.ini: prctl(PR_SET_NO_NEW_PRIVS): Invalid argument; set no_new_privileges=false if "
                 "this kernel cannot do it"},
        Injected{"chdir", EACCES, status::chdir,
                 "/etc/eslaunch/test.ini: cannot enter directory /srv as work: Permission denied; create it, or give "
                 "the user access to it, or fix directory="},
        Injected{"open_stdin", ENOENT, status::config, "/etc/eslaunch/test.ini: stdin: injected"},
        Injected{"cloexec", EBADF, status::oserr,
                 "/etc/eslaunch/test.ini: cannot close inherited file descriptors: Bad file descriptor"},
        Injected{"set_stdin", EBADF, status::oserr,
                 "/etc/eslaunch/test.ini: cannot make the program's stdin: dup2: Bad file descriptor"},
        Injected{"execve", EACCES, status::exec,
                 "/etc/eslaunch/test.ini: cannot execute /bin/sleep as work: Permission denied; check that the user "
                 "may execute it (and the directories above it)"}),
    [](const auto& info) { return info.param.call + "_" + std::to_string(info.param.err); });

// A program that is not there: the hint names command=, not permissions.
TEST(Apply, AMissingProgramPointsAtCommand) {
    FakeSyscalls sys;
    sys.fail["execve"] = ENOENT;
    const Error e = apply_plan(full_plan(), sys, {});
    EXPECT_EQ(e.status, status::exec);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini: cannot execute /bin/sleep as work: No such file or directory; check "
                       "command=");
}

TEST(Apply, UnexpectedIdsAfterTheDropStopTheLaunch) {
    class Liar : public FakeSyscalls {
    public:
        int get_resuid(uid_t& r, uid_t& e, uid_t& s) override {
            FakeSyscalls::get_resuid(r, e, s);
            s = 0;  // saved uid still root
            return 0;
        }
    } sys;
    const Error e = apply_plan(full_plan(), sys, {});
    EXPECT_EQ(e.status, status::user);
    EXPECT_EQ(e.what, "after setresuid(1000) the ids are 1000/1000/0");
    EXPECT_EQ(sys.calls.back(), "getresuid");
}

TEST(Apply, AWayBackToRootStopsTheLaunch) {
    FakeSyscalls sys;
    sys.setuid_root_works = true;
    const Error e = apply_plan(full_plan(), sys, {});
    EXPECT_EQ(e.status, status::user);
    EXPECT_EQ(e.what, "setuid(0) still works after dropping to uid 1000");
    EXPECT_EQ(sys.calls.back(), "setuid(0)");
}

// The readers of the node's files and check's java take the same drop as
// the program, always with no_new_privs; the program without it when the
// spec says no_new_privileges=false.
TEST(DropPrivileges, IsApplysStepsThreeToFive) {
    FakeSyscalls sys;
    EXPECT_EQ(drop_privileges(full_plan(), sys, true), std::nullopt);
    EXPECT_THAT(sys.calls, ElementsAre("setgroups(1000,4)", "setresgid(1000)", "setresuid(1000)", "getresuid",
                                       "getresgid", "setuid(0)", "no_new_privs"));
    FakeSyscalls without;
    EXPECT_EQ(drop_privileges(full_plan(), without, false), std::nullopt);
    EXPECT_EQ(without.calls.back(), "setuid(0)");
    FakeSyscalls liar;
    liar.setuid_root_works = true;
    const auto error = drop_privileges(full_plan(), liar, true);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->what, "setuid(0) still works after dropping to uid 1000");
    EXPECT_EQ(liar.calls.back(), "setuid(0)");
}

TEST(Apply, WithoutRootNoIdentityChangeAndOptionalSteps) {
    HostFacts host = test_host();
    host.euid = 1000;
    host.egid = 1000;
    FakeSyscalls sys;
    (void)apply_plan(plan_ok("[program:x]\ncommand=/bin/true\nno_new_privileges=false\n", host), sys, {3, 2});
    EXPECT_THAT(sys.calls, ElementsAre("open_stdin(/dev/null)", "cloexec(keep 3+2)", "set_stdin",
                                       "execve(/bin/true, /bin/true)"));
}

// stdin=file: is opened before the limits, the first change, and a file
// that fails its checks leaves the process untouched, with its line.
TEST(Apply, AStdinFileThatFailsStopsTheLaunchBeforeAnythingChanges) {
    FakeSyscalls sys;
    sys.fail["open_stdin"] = EACCES;
    const LaunchPlan plan = plan_ok(
        "[program:es]\ncommand=/bin/sleep 5\nuser=work\nlimit_nofile=4096\nstdin=file:/etc/eslaunch/es.pw\n");
    const Error e = apply_plan(plan, sys, {});
    EXPECT_EQ(e.status, status::config);
    EXPECT_EQ(e.line, 5);
    EXPECT_THAT(sys.calls, ElementsAre("open_stdin(/etc/eslaunch/es.pw)"));
}

TEST(ListenFds, OnlyForThisProcess) {
    EnvMap env;
    env.set("LISTEN_PID", "42");
    env.set("LISTEN_FDS", "2");
    EXPECT_EQ(listen_fds(env, 42).count, 2U);
    EXPECT_EQ(listen_fds(env, 42).from, 3U);
    EXPECT_EQ(listen_fds(env, 43).count, 0U);
    env.set("LISTEN_FDS", "x");
    EXPECT_EQ(listen_fds(env, 42).count, 0U);
}

TEST(Apply, TheWatcherStartsAfterTheDropJustBeforeTheExec) {
    HostFacts host = test_host();
    host.environ.set("NOTIFY_SOCKET", "/run/systemd/notify");
    FakeSyscalls sys;
    const LaunchPlan plan =
        plan_ok("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=tcp://127.0.0.1:9300\n", host);
    (void)apply_plan(plan, sys, {});
    ASSERT_GE(sys.calls.size(), 4U);
    EXPECT_EQ(sys.calls[sys.calls.size() - 4], "cloexec(keep 0+0)");
    EXPECT_EQ(sys.calls[sys.calls.size() - 3],
              "watcher(/usr/libexec/eslaunch-watch, eslaunch-watch --program es --ready tcp://127.0.0.1:9300 "
              "--expect 200-499 --timeout 15min --interval 50ms)");
    EXPECT_EQ(sys.calls[sys.calls.size() - 2], "set_stdin");  // after the watcher: fd 0 is the program's alone
    EXPECT_EQ(sys.calls.back(), "execve(/bin/sleep, /bin/sleep 5)");
    // systemd's socket goes to the watcher only.
    EXPECT_THAT(sys.watcher_env, ::testing::Contains("NOTIFY_SOCKET=/run/systemd/notify"));
    EXPECT_THAT(sys.exec_env, ::testing::Not(::testing::Contains(::testing::StartsWith("NOTIFY_SOCKET="))));
}

TEST(Apply, AWatcherThatCannotStartStopsTheLaunch) {
    FakeSyscalls sys;
    sys.fail["watcher"] = EAGAIN;
    const Error e = apply_plan(plan_ok("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=tcp://[::1]:9300\n"), sys, {});
    EXPECT_EQ(e.status, status::oserr);
    EXPECT_EQ(e.str(), "/etc/eslaunch/test.ini: cannot start /usr/libexec/eslaunch-watch: Resource temporarily "
                       "unavailable; the program was not started");
    EXPECT_TRUE(sys.calls.back().starts_with("watcher(")) << sys.calls.back();
}

// A watcher that did not report "ok": its outcome, the status and message
// apply returns, and no exec of the program after it.
struct WatcherCase {
    std::string name;
    WatcherStart start;
    int status;
    std::string message;
    friend void PrintTo(const WatcherCase& c, std::ostream* os) { *os << c.name; }
};

class ApplyWatcherStart : public ::testing::TestWithParam<WatcherCase> {};

TEST_P(ApplyWatcherStart, NothingRunsAfterIt) {
    const auto& c = GetParam();
    FakeSyscalls sys;
    sys.watcher_start = c.start;
    const LaunchPlan plan = plan_ok("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=tcp://[::1]:9300\n");
    const Error e = apply_plan(plan, sys, {});
    EXPECT_EQ(e.status, c.status);
    EXPECT_EQ(e.str(), c.message);
    ASSERT_FALSE(sys.calls.empty());
    EXPECT_TRUE(sys.calls.back().starts_with("watcher(")) << sys.calls.back();
    EXPECT_THAT(sys.calls, ::testing::Not(::testing::Contains(::testing::StartsWith("execve"))));
}

INSTANTIATE_TEST_SUITE_P(
    EveryOutcome, ApplyWatcherStart,
    ::testing::Values(
        WatcherCase{"exec_eacces", {WatcherStart::Outcome::exec_failed, EACCES, ""}, status::exec,
                    "/etc/eslaunch/test.ini: cannot execute /usr/libexec/eslaunch-watch as user work: Permission "
                    "denied; make it a regular file the user may execute (chmod 0755 /usr/libexec/eslaunch-watch, "
                    "and every directory above it searchable), or reinstall eslaunch; the program starts only once "
                    "its watcher runs"},
        WatcherCase{"exec_enoent", {WatcherStart::Outcome::exec_failed, ENOENT, ""}, status::exec,
                    "/etc/eslaunch/test.ini: cannot execute /usr/libexec/eslaunch-watch as user work: No such file "
                    "or directory; reinstall eslaunch, or set ready=none; the program starts only once its watcher "
                    "runs"},
        WatcherCase{"refused",
                    {WatcherStart::Outcome::refused, 0, "fd 3 is not the program's pidfd or /proc directory\n"},
                    status::oserr,
                    "/etc/eslaunch/test.ini: /usr/libexec/eslaunch-watch refused to start: fd 3 is not the "
                    "program's pidfd or /proc directory; the program was not started; reinstall eslaunch (its "
                    "watcher must be of the same build) and check that /proc is mounted"},
        // Its words are the service user's: one line, no control characters, cut.
        WatcherCase{"refused_hostile",
                    {WatcherStart::Outcome::refused, 0, "\x1b[2J" + std::string(300, 'x') + "\nsecond line"},
                    status::oserr,
                    "/etc/eslaunch/test.ini: /usr/libexec/eslaunch-watch refused to start: ?[2J" +
                        std::string(156, 'x') + "... (304 bytes); the program was not started; reinstall eslaunch "
                        "(its watcher must be of the same build) and check that /proc is mounted"},
        WatcherCase{"late", {WatcherStart::Outcome::failed, 0, "it did not report its start-up within 10 s"},
                    status::oserr,
                    "/etc/eslaunch/test.ini: cannot start /usr/libexec/eslaunch-watch: it did not report its "
                    "start-up within 10 s; the program was not started"},
        WatcherCase{"pipe_emfile", {WatcherStart::Outcome::failed, EMFILE, ""}, status::oserr,
                    "/etc/eslaunch/test.ini: cannot start /usr/libexec/eslaunch-watch: Too many open files; the "
                    "program was not started"}),
    [](const auto& info) { return info.param.name; });

TEST(Apply, CheckAndLaunchShareTheWatcherExecError) {
    const LaunchPlan plan = plan_ok("[program:es]\ncommand=/bin/sleep 5\nuser=work\nready=tcp://[::1]:9300\n");
    const Error e = watcher_exec_error(plan, EACCES);
    EXPECT_EQ(e.status, status::exec);
    EXPECT_EQ(e.what, "cannot execute /usr/libexec/eslaunch-watch as user work: Permission denied");
}

}  // namespace
}  // namespace eslaunch::testing

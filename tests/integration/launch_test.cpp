// The real eslaunch, as root, launching the fake Elasticsearch (tests/fake-es):
// the program's identity, groups, environment, limits, umask, cwd, fds,
// NoNewPrivs and heap are what the plan says; a real JVM gets the heap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// A service account with a supplementary group, made once on the test host.

class Launch : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() != 0) return;
        ensure_test_user();
    }

    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root: eslaunch drops privileges only when started as root";
        dir_ = make_launch_dir("launch");
        ASSERT_FALSE(dir_.empty());
        record_ = (dir_ / "out" / "record.json").string();
        made_default_tmpdir_ = !fs::exists(default_tmpdir_);
    }
    // A launch of [program:es] without tmpdir= makes /var/lib/eslaunch/es/tmp,
    // its user's: removed again, so that no later test (another user) is
    // refused it and the host keeps nothing.
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
        if (made_default_tmpdir_) fs::remove_all(default_tmpdir_);
    }

    std::string make_home(const std::string& version) {
        const std::string home = (dir_ / ("es-" + version)).string();
        command_output({"/bin/bash", getenv_or_fail("ESLAUNCH_MAKE_HOME"), version, home,
                        getenv_or_fail("ESLAUNCH_FAKE_ES")});
        return home;
    }

    std::string write_spec(const std::string& text) {
        const fs::path path = dir_ / "spec.ini";
        std::ofstream(path) << text;
        fs::permissions(path, fs::perms(0644));
        return path.string();
    }

    json record(const std::string& suffix = "") {
        std::ifstream in(record_ + suffix);
        if (!in) {
            ADD_FAILURE() << "the fake Elasticsearch wrote no record at " << record_ << suffix;
            return json::object();
        }
        return json::parse(in);
    }
    // 8.3+: the CLI process's own record (the server's is record()).
    json cli_record() { return record(".cli"); }

    fs::path dir_;
    std::string record_;
    const fs::path default_tmpdir_{"/var/lib/eslaunch/es"};
    bool made_default_tmpdir_ = false;
};

const std::vector<std::string> base_env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8",
                                           "INHERITED=from-the-parent"};

std::vector<int> ids_of(const std::string& flag) {
    std::istringstream in(command_output({"/usr/bin/id", flag, test_user}));
    std::vector<int> ids;
    for (int id = 0; in >> id;) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

TEST_F(Launch, TheProgramGetsExactlyThePlan) {
    // Limits below this machine's hard limit: set without a capability.
    const rlim_t hard = settable_nofile_hard(4096) / 2;
    const rlim_t soft = hard / 2;
    const std::string home = make_home("7.17.25");
    const std::string spec = write_spec(
        "[program:es]\n"
        "command=" + home + "/bin/elasticsearch -Enode.name=test\n"
        "directory=" + home + "\n"
        "user=" + test_user + "\n"
        "umask=027\n"
        "limit_nofile=" + std::to_string(soft) + ":" + std::to_string(hard) + "\n"
        "limit_core=0\n"
        "heap_size=512m\n"
        "tmpdir=" + (dir_ / "tmp").string() + "\n"
        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\",EXTRA=\"a, b\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env, {}, {}, 7);  // the parent leaks fd 7
    ASSERT_EQ(r.status, 0) << r.err;
    const json rec = record();

    const passwd* pw = getpwnam(test_user);
    ASSERT_NE(pw, nullptr);
    // Identity and groups exactly as `id` says, with no way back to root.
    const int uid = ids_of("-u").front();
    const int gid = ids_of("-g").front();
    for (const char* key : {"uid", "euid", "suid"}) EXPECT_EQ(rec[key], uid) << key;
    for (const char* key : {"gid", "egid", "sgid"}) EXPECT_EQ(rec[key], gid) << key;
    EXPECT_EQ(rec["groups"], json(ids_of("-G")));
    EXPECT_EQ(rec["groups"].size(), 2U);  // primary and eslaunch-extra
    EXPECT_EQ(rec["setuid0"]["ok"], false);
    EXPECT_EQ(rec["setuid0"]["errno"], EPERM);
    EXPECT_EQ(rec["no_new_privs"], 1);
    // Environment: eslaunch's own, the spec's, the user's passwd entry, the heap.
    const json& env = rec["environment"];
    EXPECT_EQ(env["INHERITED"], "from-the-parent");
    EXPECT_EQ(env["EXTRA"], "a, b");
    EXPECT_EQ(env["HOME"], pw->pw_dir);
    EXPECT_EQ(env["USER"], test_user);
    EXPECT_EQ(env["LOGNAME"], test_user);
    EXPECT_EQ(env["SHELL"], pw->pw_shell);
    EXPECT_EQ(env["ES_JAVA_OPTS"], "-Xms512m -Xmx512m");
    EXPECT_FALSE(env.contains("ES_HEAP_SIZE"));
    // Limits, umask, directory, fds.
    EXPECT_EQ(rec["rlimits"]["nofile"], (json{{"soft", soft}, {"hard", hard}}));
    EXPECT_EQ(rec["rlimits"]["core"], json::parse(R"({"soft":0,"hard":0})"));
    EXPECT_EQ(rec["rlimits"]["as"]["soft"], "infinity");  // the profile's best effort
    EXPECT_EQ(rec["umask"], "0027");
    EXPECT_EQ(rec["cwd"], home);
    EXPECT_EQ(rec["open_fds"], json({0, 1, 2})) << "an inherited fd reached the program";
    // The heap as the 7.17 launch script handed it to the JVM, and the argv.
    EXPECT_EQ(rec["heap"]["xms"], "512m");
    EXPECT_EQ(rec["heap"]["xmx"], "512m");
    EXPECT_EQ(rec["args"], json({"-Enode.name=test"}));
}

// The profile's nofile is what the version's max-file-descriptors bootstrap
// check wants: 65536 before 7.0, 65535 from 7.0. Without CAP_SYS_RESOURCE
// (dropped for the run) and under a hard limit of 4096 (prlimit,
// util-linux) it is raised that far, and the warning names the version's
// value and the unit's LimitNOFILE= for it.
const std::vector<std::pair<std::string, rlim_t>> nofile_by_version = {
    {"2.4.6", 65536}, {"5.6.16", 65536}, {"6.8.23", 65536}, {"7.17.25", 65535}, {"8.15.3", 65535}};

TEST_F(Launch, TheProfilesNofileIsWhatTheVersionChecksFor) {
    const rlim_t hard = settable_nofile_hard(4096);
    const std::string limit = std::to_string(hard);
    for (const auto& [version, files] : nofile_by_version) {
        SCOPED_TRACE(version);
        const std::string home = make_home(version);
        const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                            "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
        auto r = run_command({"/usr/bin/prlimit", "--nofile=" + std::to_string(std::min<rlim_t>(1024, hard)) + ":" + limit,
                              eslaunch_binary(), spec},
                             base_env, {}, {}, -1, Caps::without_sys_resource);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_THAT(r.err, HasSubstr("limit_nofile: profile elasticsearch wants " + std::to_string(files) +
                                     ", the hard limit is " + limit + ": set to " + limit + " (best effort)"));
        EXPECT_THAT(r.err, HasSubstr("LimitNOFILE=" + std::to_string(files)));
        EXPECT_EQ(record()["rlimits"]["nofile"], (json{{"soft", hard}, {"hard", hard}}));
    }
}

// Where eslaunch holds CAP_SYS_RESOURCE, the same launches get the
// version's value itself (fs.nr_open permitting), with no warning.
TEST_F(Launch, TheProfilesNofileIsRaisedWithCapSysResource) {
    if (!have_cap_sys_resource()) GTEST_SKIP() << needs_cap_sys_resource;
    rlim_t nr_open = 0;
    std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
    ASSERT_GT(nr_open, 0U) << "cannot read /proc/sys/fs/nr_open";
    for (const auto& [version, files] : nofile_by_version) {
        SCOPED_TRACE(version);
        const std::string home = make_home(version);
        const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                            "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
        auto r = run_command({"/usr/bin/prlimit", "--nofile=1024:4096", eslaunch_binary(), spec}, base_env);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_THAT(r.err, Not(HasSubstr("limit_nofile")));
        const rlim_t want = std::min(files, nr_open);
        EXPECT_EQ(record()["rlimits"]["nofile"], (json{{"soft", want}, {"hard", want}}));
    }
}

// And a spec's limit_nofile above the hard limit is granted, not refused.
TEST_F(Launch, ASpecsHardLimitIsRaisedWithCapSysResource) {
    if (!have_cap_sys_resource()) GTEST_SKIP() << needs_cap_sys_resource;
    const std::string home = make_home("8.15.3");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "limit_nofile=8192:16384\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                        "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({"/usr/bin/prlimit", "--nofile=1024:4096", eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(record()["rlimits"]["nofile"], json::parse(R"({"soft":8192,"hard":16384})"));
}

TEST_F(Launch, TheProgramKeepsEslaunchsPid) {
    // exec, not fork: systemd's MainPID and supervisord's pid are the node.
    const std::string home = make_home("8.2.3");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n"
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({"/bin/sh", "-c", "echo $$; exec \"$0\" \"$1\"", eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    // bin/elasticsearch is a shell script that execs fake-es: all one pid.
    EXPECT_EQ(std::to_string(record()["pid"].get<int>()) + "\n", r.out);

    // 8.3+: it execs the CLI JVM, which keeps the pid; the server is its child.
    const std::string eight = make_home("8.15.3");
    const std::string cli = write_spec("[program:es]\ncommand=" + eight + "/bin/elasticsearch\nuser=nobody\n"
                                       "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    r = run_command({"/bin/sh", "-c", "echo $$; exec \"$0\" \"$1\"", eslaunch_binary(), cli}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(std::to_string(cli_record()["pid"].get<int>()) + "\n", r.out);
    EXPECT_EQ(record()["ppid"], cli_record()["pid"]);
    EXPECT_NE(record()["pid"], cli_record()["pid"]);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Waits up to 30 s (a loaded machine) for a whole line holding `part` in `path`.
bool wait_for_line(const std::string& path, const std::string& part,
                   std::chrono::milliseconds timeout = std::chrono::seconds{30}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        const std::string text = read_text(path);
        const std::size_t at = text.find(part);
        if (at != std::string::npos && text.find('\n', at) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
}

// A real launch whose stderr is the journal: eslaunch's warnings carry <4>
// before the exec, and so do the watcher's lines after it (<6> ready, <4>
// warning); only the program's own lines (fake-es: ...) go as they are.
TEST_F(Launch, JournalPrioritiesInARealLaunch) {
    const std::string home = make_home("6.8.23");
    const std::string port = std::to_string(free_port());
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "ready=http://127.0.0.1:" + port + "/\nwatchdog=true\n" +
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_HTTP_PORT=\"" + port +
                                        "\",ES_HEAP_SIZE=\"640m\"\n");
    const std::string log = (dir_ / "stderr").string();
    std::ofstream(log).flush();
    std::vector<std::string> env = base_env;
    env.push_back(journal_stream_naming(log));
    const pid_t node = spawn_command({eslaunch_binary(), spec}, env, log);
    const bool done = wait_for_line(log, "watchdog=true, but the unit sets no WatchdogSec=");
    kill_and_reap(node);
    ASSERT_TRUE(done) << read_text(log);

    const auto lines = lines_of(read_text(log));
    for (const auto& line : lines) {
        if (line.starts_with("fake-es: ")) continue;
        const char* priority = line.find("eslaunch: warning: ") != std::string::npos ? "<4>"
                               : line.find("eslaunch: error: ") != std::string::npos ? "<3>"
                                                                                     : "<6>";
        EXPECT_THAT(line, ::testing::StartsWith(std::string{priority} + "eslaunch: ")) << read_text(log);
    }
    auto has_line = [&](const std::string& start) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.starts_with(start); });
    };
    EXPECT_TRUE(has_line("<4>eslaunch: warning: " + spec + ": ES_HEAP_SIZE=640m is not read by Elasticsearch 6.8.23"))
        << read_text(log);
    EXPECT_TRUE(has_line("<6>eslaunch: es ready after ")) << read_text(log);
    EXPECT_TRUE(has_line("<4>eslaunch: warning: watchdog=true, but the unit sets no WatchdogSec=")) << read_text(log);
}

// systemd's socket activation: with LISTEN_PID eslaunch's pid (exec keeps
// it the node's), the LISTEN_FDS=2 fds 3 and 4 reach the node open, on the
// same files, with the variables; another inherited fd (5) does not. A
// watcher is started and finishes meanwhile (ready=http).
TEST_F(Launch, ListenFdsReachTheProgram) {
    const std::string home = make_home("8.15.3");
    const std::string port = std::to_string(free_port());
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "ready=http://127.0.0.1:" + port + "/\nenvironment=FAKE_ES_RECORD=\"" +
                                        record_ + "\",FAKE_ES_HTTP_PORT=\"" + port + "\"\n");
    std::vector<std::string> files;
    for (const char* name : {"socket-a", "socket-b", "not-a-socket"}) {
        files.push_back((dir_ / name).string());
        std::ofstream(files.back()).flush();
    }
    const std::string log = (dir_ / "stderr").string();
    std::vector<std::string> env = base_env;
    env.push_back("LISTEN_FDS=2");
    const pid_t node = spawn_command({"/bin/sh", "-c", "export LISTEN_PID=$$; exec \"$0\" \"$1\" 3<\"$2\" 4<\"$3\" 5<\"$4\"",
                                      eslaunch_binary(), spec, files[0], files[1], files[2]},
                                     env, log);
    const bool ready = wait_for_line(log, " ready after ");
    std::vector<std::string> targets;
    for (int fd : {3, 4}) {
        std::error_code ec;
        targets.push_back(fs::read_symlink("/proc/" + std::to_string(node) + "/fd/" + std::to_string(fd), ec).string());
    }
    kill_and_reap(node);
    ASSERT_TRUE(ready) << read_text(log);
    EXPECT_EQ(targets, std::vector<std::string>(files.begin(), files.begin() + 2));
    // 8.15: the CLI JVM is the process eslaunch started; its server child
    // gets no fd but 0-2 (Java's ProcessBuilder closes the rest).
    const json rec = cli_record();
    EXPECT_EQ(rec["pid"], node);
    EXPECT_EQ(rec["open_fds"], json({0, 1, 2, 3, 4})) << read_text(log);
    EXPECT_EQ(rec["environment"]["LISTEN_FDS"], "2");
    EXPECT_EQ(rec["environment"]["LISTEN_PID"], std::to_string(node));
    EXPECT_EQ(record()["open_fds"], json({0, 1, 2}));

    // LISTEN_PID names another process: the fds are not for this one.
    fs::remove(record_);
    const std::string exits = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                         "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({"/bin/sh", "-c", "export LISTEN_PID=1; exec \"$0\" \"$1\" 3<\"$2\" 4<\"$3\"",
                          eslaunch_binary(), exits, files[0], files[1]},
                         env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(cli_record()["open_fds"], json({0, 1, 2}));
}

// 8.3+ runs two processes: eslaunch execs bin/elasticsearch, whose CLI JVM
// stays the main process and starts the server JVM as its child. The plan's
// user, limits and heap reach the server; with readiness.port the node is
// ready once it has joined, not when HTTP answers; the ready line names both
// pids; SIGTERM to the CLI stops both (CLI 143, server 0), nothing left.
TEST_F(Launch, EightThreeRunsTheServerAsTheClisChild) {
    const rlim_t hard = settable_nofile_hard(4096) / 2;
    const std::string home = make_home("8.15.3");
    const std::string http = std::to_string(free_port());
    const std::string ready = std::to_string(free_port());
    std::ofstream(home + "/config/elasticsearch.yml") << "http.port: " << http << "\nreadiness.port: " << ready << "\n";
    const std::string joined = (dir_ / "out" / "joined").string();
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=" + test_user +
                                        "\nlimit_nofile=" + std::to_string(hard) + "\nheap_size=512m\n" +
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_HTTP_PORT=\"" + http +
                                        "\",FAKE_ES_JOINED_FILE=\"" + joined + "\"\n");
    EXPECT_EQ(json::parse(run_eslaunch({"check", "--json", spec}, base_env).out)["readiness"]["probe"],
              "tcp://127.0.0.1:" + ready);
    const std::string log = (dir_ / "stderr").string();
    std::ofstream(log).flush();
    const pid_t node = spawn_command({eslaunch_binary(), spec}, base_env, log);
    // HTTP answers, but the node has not joined a cluster: not ready.
    const bool http_up = wait_for_line(log, "fake-es: listening on http://");
    const bool early = wait_for_line(log, " ready after ", std::chrono::milliseconds{1500});
    std::ofstream(joined).flush();
    const bool joined_ready = wait_for_line(log, " ready after ");
    const json cli = cli_record();
    const json server = record();
    kill(node, SIGTERM);
    const std::optional<int> status = wait_exit(node, std::chrono::seconds{30});
    if (!status) kill_and_reap(node);
    ASSERT_TRUE(http_up && joined_ready) << read_text(log);
    EXPECT_FALSE(early) << "ready before the node joined: " << read_text(log);

    // The CLI is what eslaunch started; the server its child, with the plan.
    EXPECT_EQ(cli["pid"], node);
    EXPECT_EQ(cli["main_class"], "org.elasticsearch.launcher.CliToolLauncher");
    EXPECT_EQ(cli["heap"], json({{"xms", "4m"}, {"xmx", "64m"}}));
    EXPECT_EQ(cli["environment"]["ES_JAVA_OPTS"], "-Xms512m -Xmx512m");
    EXPECT_EQ(server["ppid"], node);
    EXPECT_EQ(server["main_class"], "org.elasticsearch.bootstrap.Elasticsearch");
    EXPECT_EQ(server["heap"], json({{"xms", "512m"}, {"xmx", "512m"}}));
    EXPECT_FALSE(server["environment"].contains("ES_JAVA_OPTS"));
    EXPECT_EQ(server["uid"], ids_of("-u").front());
    EXPECT_EQ(server["groups"], json(ids_of("-G")));
    EXPECT_EQ(server["rlimits"]["nofile"], (json{{"soft", hard}, {"hard", hard}}));
    EXPECT_EQ(server["no_new_privs"], 1);
    // The ready line: the readiness port, and both processes.
    EXPECT_THAT(read_text(log), HasSubstr("es ready after "));
    EXPECT_THAT(read_text(log), HasSubstr("(tcp://127.0.0.1:" + ready + " -> connected); main pid " +
                                          std::to_string(node) + " (Elasticsearch's CLI), server pid " +
                                          std::to_string(server["pid"].get<int>()) + "\n"));
    // SIGTERM to the CLI: the shutdown marker stops the server (0), the CLI
    // exits 143 as a JVM on SIGTERM, and the server is gone.
    EXPECT_EQ(status, 143) << read_text(log);
    EXPECT_THAT(read_text(log), HasSubstr("fake-es: shutdown marker from the CLI, exiting 0\n"
                                          "fake-es (cli): Terminated, exiting 143\n"));
    EXPECT_NE(kill(server["pid"].get<pid_t>(), 0), 0) << "the server outlived the CLI";
}

TEST_F(Launch, TheDefaultProbeReadsElasticsearchYmlAsTheNodeDoes) {
    // A ${VAR} in elasticsearch.yml comes from the node's environment, and
    // -E on command= wins over the file: the probe eslaunch-watch runs (and
    // check shows) follows both, like the preflight does.
    const std::string home = make_home("7.17.25");
    std::ofstream(home + "/config/elasticsearch.yml") << "http.port: ${ES_TEST_PORT}\nnetwork.host: 127.0.0.1\n";
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n"
                                        "environment=ES_TEST_PORT=\"19333\"\n");
    auto r = run_eslaunch({"check", "--json", spec}, base_env);
    const json plan = json::parse(r.out);
    EXPECT_EQ(plan["readiness"]["probe"], "http://127.0.0.1:19333/") << r.out;
    const std::string with_e = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch -Ehttp.port=19334\n"
                                          "user=nobody\nenvironment=ES_TEST_PORT=\"19333\"\n");
    r = run_eslaunch({"check", "--json", with_e}, base_env);
    EXPECT_EQ(json::parse(r.out)["readiness"]["probe"], "http://127.0.0.1:19334/") << r.out;
}

TEST_F(Launch, ElasticsearchYmlIsReadAsTheServiceUserNotAsRoot) {
    // The default probe's read of elasticsearch.yml runs as user= (the
    // service's group can often write the file; root never parses it). A
    // file only root may read: the node could not read it either, and the
    // plan says so and falls back to 9200, where root would have found 19336.
    const std::string home = make_home("8.15.3");
    const std::string yml = home + "/config/elasticsearch.yml";
    std::ofstream(yml) << "http.port: 19336\n";
    ASSERT_EQ(::chown(yml.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(yml.c_str(), 0600), 0);
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n");
    auto r = run_eslaunch({"check", "--json", spec}, base_env);
    const json plan = json::parse(r.out);
    EXPECT_EQ(plan["readiness"]["probe"], "http://127.0.0.1:9200/") << r.out;
    EXPECT_THAT(plan["warnings"].dump(), HasSubstr("the default probe ignores elasticsearch.yml")) << r.out;
    EXPECT_THAT(plan["warnings"].dump(), HasSubstr("Permission denied")) << r.out;

    // Readable by the user: the same read finds the port.
    ASSERT_EQ(::chmod(yml.c_str(), 0644), 0);
    r = run_eslaunch({"check", "--json", spec}, base_env);
    EXPECT_EQ(json::parse(r.out)["readiness"]["probe"], "http://127.0.0.1:19336/") << r.out;
}

TEST_F(Launch, TheLaunchReadsElasticsearchYmlThroughEslaunchCheck) {
    // Not check: the launch itself. Its plan follows the file (a port range
    // is warned about) when the user can read it, and says why not when
    // only root can.
    const std::string home = make_home("7.17.25");
    const std::string yml = home + "/config/elasticsearch.yml";
    std::ofstream(yml) << "http.port: 19337-19340\n";
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr(yml + ":1: http.port is the range 19337-19340: eslaunch probes its first port, 19337"));
    EXPECT_THAT(r.err, Not(HasSubstr("ignores elasticsearch.yml")));

    ASSERT_EQ(::chown(yml.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(yml.c_str(), 0600), 0);
    r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("the default probe ignores elasticsearch.yml"));
    EXPECT_THAT(r.err, HasSubstr("Permission denied"));
    EXPECT_THAT(r.err, Not(HasSubstr("19337")));
}

TEST_F(Launch, EslaunchCheckReadsElasticsearchYmlAsTheNodesUserWithNothingInherited) {
    // eslaunch, eslaunch-watch and a recording stand-in for eslaunch-check
    // side by side (found beside eslaunch, as in a build tree). The stand-in
    // records who it runs as and what it holds, and answers with a port
    // range, which the launch warns about: the answer reached the plan.
    const fs::path bin = dir_ / "bin";
    fs::create_directories(bin);
    fs::permissions(bin, fs::perms(0755));
    fs::copy_file(eslaunch_binary(), bin / "eslaunch");
    fs::copy_file(fs::path(eslaunch_binary()).parent_path() / "eslaunch-watch", bin / "eslaunch-watch");
    const std::string helper_record = (dir_ / "out" / "helper.json").string();
    // The answer: settings_error "", no bind host, http.port 19998-19999 from x.yml:1, no TLS,
    // no readiness.port.
    std::ofstream(bin / "eslaunch-check")
        << "#!/usr/bin/python3\n"
           "import json, os, sys\n"
           "fds = sorted(int(f) for f in os.listdir('/proc/self/fd'))\n"
           "nnp = [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs:')][0]\n"
           "json.dump({'uid': os.getresuid(), 'gid': os.getresgid(), 'groups': sorted(os.getgroups()),\n"
           "           'nnp': nnp, 'fds': fds, 'argv': sys.argv[1:], 'env': os.environ.get('INHERITED'),\n"
           "           'stdin': os.readlink('/proc/self/fd/0')}, open('" << helper_record << "', 'w'))\n"
           "sys.stdout.write('0:1:00:0:0:1:111:19998-199997:x.yml:11:00:0:0:1:00:0:')\n";
    fs::permissions(bin / "eslaunch-check", fs::perms(0755));

    const std::string home = make_home("7.17.25");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch -Enode.name=n1\nuser=" +
                                        test_user + "\ntmpdir=" + (dir_ / "tmp").string() + "\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                        "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({(bin / "eslaunch").string(), spec}, base_env, {}, {}, 7);  // the parent leaks fd 7
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("x.yml:1: http.port is the range 19998-19999: eslaunch probes its first port, 19998"));

    std::ifstream in(helper_record);
    ASSERT_TRUE(in) << "the stand-in for eslaunch-check did not run";
    const json h = json::parse(in);
    const passwd* pw = ::getpwnam(test_user);
    ASSERT_NE(pw, nullptr);
    const int uid = static_cast<int>(pw->pw_uid);
    const int gid = static_cast<int>(pw->pw_gid);
    EXPECT_EQ(h["uid"], json::array({uid, uid, uid}));
    EXPECT_EQ(h["gid"], json::array({gid, gid, gid}));
    EXPECT_EQ(h["groups"].get<std::vector<int>>(), ids_of("-G"));  // initgroups, as the node gets
    EXPECT_EQ(h["nnp"], "1");
    EXPECT_EQ(h["stdin"], "/dev/null");
    // 0, 1, 2 and listdir's own: not the leaked 7.
    EXPECT_EQ(h["fds"], json::array({0, 1, 2, 3})) << h.dump();
    EXPECT_EQ(h["argv"], json::array({"--node-http-settings", home + "/config", "--", home + "/bin/elasticsearch",
                                      "-Enode.name=n1"}));
    EXPECT_EQ(h["env"], "from-the-parent");  // the node's environment, for elasticsearch.yml's ${VAR}s
}

struct HeapCase {
    std::string version;
    std::string extra_env;  // more environment= pairs
    std::string heap_key;   // heap_size= line or empty
    std::string xms;
    std::string xmx;
    // The node's ES_HEAP_SIZE and ES_JAVA_OPTS; nullopt: not set. The fake
    // 2.x script appends ES_JAVA_OPTS, and 6.x ignores ES_HEAP_SIZE: only
    // the environment tells which way the heap went.
    std::optional<std::string> es_heap_size;
    std::optional<std::string> es_java_opts;
};

void PrintTo(const HeapCase& c, std::ostream* os) {
    const std::string how = c.heap_key.empty() ? c.extra_env : c.heap_key.substr(0, c.heap_key.size() - 1);
    *os << c.version << " " << (how.empty() ? "no heap" : how);
}

class LaunchHeap : public Launch, public ::testing::WithParamInterface<HeapCase> {};

TEST_P(LaunchHeap, AsTheVersionsLaunchScriptReadsIt) {
    const HeapCase& c = GetParam();
    const std::string home = make_home(c.version);
    // tmpdir=none: the heap alone in ES_JAVA_OPTS (2.x and 5.x get their tmpdir there).
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        c.heap_key + "tmpdir=none\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                        "\",FAKE_ES_EXIT=\"1\"" + c.extra_env + "\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    const json rec = record();
    if (rec["java_io_tmpdir"].is_string()) {  // 6.2+ made one of their own in /tmp
        const std::string made = rec["java_io_tmpdir"];
        if (made.starts_with("/tmp/elasticsearch")) fs::remove(made);
    }
    EXPECT_EQ(rec["heap"]["xms"], c.xms);
    EXPECT_EQ(rec["heap"]["xmx"], c.xmx);
    const json& env = rec["environment"];
    auto value = [&](const char* name) -> std::optional<std::string> {
        if (!env.contains(name)) return std::nullopt;
        return env[name].get<std::string>();
    };
    EXPECT_EQ(value("ES_HEAP_SIZE"), c.es_heap_size);
    EXPECT_EQ(value("ES_JAVA_OPTS"), c.es_java_opts);
}

const std::optional<std::string> unset;

INSTANTIATE_TEST_SUITE_P(
    Versions, LaunchHeap,
    ::testing::Values(
        // heap_size=: ES_HEAP_SIZE before 5.0, ES_JAVA_OPTS from 5.0.
        HeapCase{"2.4.6", "", "heap_size=768m\n", "768m", "768m", "768m", unset},
        HeapCase{"5.6.16", "", "heap_size=768m\n", "768m", "768m", unset, "-Xms768m -Xmx768m"},
        HeapCase{"6.8.23", "", "heap_size=768m\n", "768m", "768m", unset, "-Xms768m -Xmx768m"},
        HeapCase{"7.17.25", "", "heap_size=768m\n", "768m", "768m", unset, "-Xms768m -Xmx768m"},
        // 8.3+: the CLI reads ES_JAVA_OPTS and removes it from the server's environment.
        HeapCase{"8.15.3", "", "heap_size=768m\n", "768m", "768m", unset, unset},
        HeapCase{"8.2.3", "", "heap_size=768m\n", "768m", "768m", unset, "-Xms768m -Xmx768m"},
        // ES_HEAP_SIZE: 2.x reads it, so it stays; 5.x would refuse to start
        // and 6.x would ignore it, so eslaunch passes it as -Xms/-Xmx instead.
        HeapCase{"2.4.6", ",ES_HEAP_SIZE=\"640m\"", "", "640m", "640m", "640m", unset},
        HeapCase{"5.6.16", ",ES_HEAP_SIZE=\"640m\"", "", "640m", "640m", unset, "-Xms640m -Xmx640m"},
        HeapCase{"6.8.23", ",ES_HEAP_SIZE=\"640m\"", "", "640m", "640m", unset, "-Xms640m -Xmx640m"},
        // No heap from eslaunch: the version's own default (jvm.options' 1g).
        HeapCase{"6.8.23", "", "", "1g", "1g", unset, unset}),
    [](const auto& info) {
        std::string name = "es_" + info.param.version + (info.param.heap_key.empty() ? "_env" : "_heap_size");
        if (info.param.heap_key.empty() && info.param.extra_env.empty()) name += "_default";
        std::replace(name.begin(), name.end(), '.', '_');
        return name;
    });

// --- heap and java, as each version's launch script takes them ---------------

// 2.x: ES_JAVA_OPTS comes after the -Xms/-Xmx that ES_HEAP_SIZE makes and
// wins; an inherited JAVA_OPTS comes before them and loses. Both beside
// heap_size= are refused, 78, and the node never starts; check says the same.
TEST_F(Launch, TwoXRefusesAHeapFlagBesideHeapSize) {
    const std::string home = make_home("2.4.6");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "heap_size=256m\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                        "\",FAKE_ES_EXIT=\"1\",ES_JAVA_OPTS=\"-Xmx512m\"\n");
    const std::string message =
        spec + ":4: heap_size=256m and -Xmx512m in ES_JAVA_OPTS (environment= at line 5) both set the heap of "
               "Elasticsearch 2.4.6: its bin/elasticsearch passes ES_JAVA_OPTS after the -Xms256m -Xmx256m it makes "
               "of ES_HEAP_SIZE, and the JVM takes the last, so -Xmx512m would win; remove -Xmx512m from "
               "ES_JAVA_OPTS, or remove heap_size=\n";
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_EQ(r.err, "eslaunch: error: " + message);
    EXPECT_FALSE(fs::exists(record_)) << "the node started: " << record().dump();
    auto check = run_eslaunch({"check", spec}, base_env);
    EXPECT_EQ(check.status, 78);
    EXPECT_EQ(check.err, "eslaunch: error: " + message);  // once, and no preflight about the same heap

    const std::string inherited = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                             "heap_size=256m\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                             "\",FAKE_ES_EXIT=\"1\"\n");
    std::vector<std::string> env = base_env;
    env.push_back("JAVA_OPTS=-Xmx4g");
    r = run_command({eslaunch_binary(), inherited}, env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(":4: heap_size=256m and -Xmx4g in JAVA_OPTS (inherited from eslaunch's environment) "
                                 "both set the heap of Elasticsearch 2.4.6: its elasticsearch.in.sh puts the JAVA_OPTS "
                                 "it inherits before the -Xms256m -Xmx256m it makes of ES_HEAP_SIZE, so -Xmx4g would "
                                 "be overridden unseen; remove -Xmx4g from JAVA_OPTS: heap_size= sets the heap\n"));
    EXPECT_FALSE(fs::exists(record_));
}

// Every launch script from 2.x on unsets JAVA_TOOL_OPTIONS: a heap passed
// there is refused (78, nothing starts), and one the spec sets is warned about.
TEST_F(Launch, JavaToolOptionsNeverReachesElasticsearch) {
    const std::string home = make_home("7.17.25");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "heap_size=256m\nheap_via=java_tool_options\nenvironment=FAKE_ES_RECORD=\"" +
                                        record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_EQ(r.err, "eslaunch: error: " + spec + ":5: heap_via=java_tool_options: the launch script of "
                     "Elasticsearch 7.17.25 unsets JAVA_TOOL_OPTIONS before the JVM starts, so heap_size=256m would "
                     "never reach it; write heap_via=auto, which passes it the way the version reads it, or "
                     "heap_via=es_java_opts\n");
    EXPECT_FALSE(fs::exists(record_));

    const std::string six = make_home("6.8.23");
    const std::string agent = write_spec("[program:es]\ncommand=" + six + "/bin/elasticsearch\nuser=nobody\n" +
                                         "environment=FAKE_ES_RECORD=\"" + record_ +
                                         "\",FAKE_ES_EXIT=\"1\",JAVA_TOOL_OPTIONS=\"-Dagent=1\"\n");
    r = run_command({eslaunch_binary(), agent}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("eslaunch: warning: " + agent + ":4: JAVA_TOOL_OPTIONS=-Dagent=1 never reaches the "
                                 "JVM: the launch script of Elasticsearch 6.8.23 unsets it; pass JVM options in "
                                 "ES_JAVA_OPTS\n"));
    EXPECT_THAT(r.out, HasSubstr("warning: ignoring JAVA_TOOL_OPTIONS=-Dagent=1"));  // the script says so too
    EXPECT_FALSE(record()["environment"].contains("JAVA_TOOL_OPTIONS"));
}

// heap_via=es_heap_size on 6.x: the script ignores ES_HEAP_SIZE, so the node
// would start on jvm.options' 1g; heap_via=env:JAVA_OPTS on 2.x: the
// script's own -Xms/-Xmx come after it. Both 78, nothing started.
TEST_F(Launch, AHeapTheScriptWouldDropIsRefused) {
    const std::string six = make_home("6.8.23");
    const std::string spec = write_spec("[program:es]\ncommand=" + six + "/bin/elasticsearch\nuser=nobody\n" +
                                        "heap_size=256m\nheap_via=es_heap_size\nenvironment=FAKE_ES_RECORD=\"" +
                                        record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_EQ(r.err, "eslaunch: error: " + spec + ":5: heap_via=es_heap_size: the launch script of Elasticsearch "
                     "6.8.23 ignores ES_HEAP_SIZE, so heap_size=256m would never reach it; write heap_via=auto, which "
                     "passes it the way the version reads it, or heap_via=es_java_opts\n");
    EXPECT_FALSE(fs::exists(record_));

    const std::string two = make_home("2.4.6");
    const std::string opts = write_spec("[program:es]\ncommand=" + two + "/bin/elasticsearch\nuser=nobody\n" +
                                        "heap_size=256m\nheap_via=env:JAVA_OPTS\nenvironment=FAKE_ES_RECORD=\"" +
                                        record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    r = run_command({eslaunch_binary(), opts}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(":5: heap_via=env:JAVA_OPTS: the launch script of Elasticsearch 2.4.6 puts "
                                 "JAVA_OPTS before the -Xms and -Xmx it makes of ES_HEAP_SIZE"));
    EXPECT_FALSE(fs::exists(record_));
}

// A stand-in JDK in the test's directory: bin/java says `version` (for
// check's java -version) and the release file names it (nothing else runs it).
std::string make_jdk(const fs::path& dir, const std::string& version) {
    fs::create_directories(dir / "bin");
    std::ofstream(dir / "bin/java") << "#!/bin/sh\necho 'openjdk version \"" << version << "\"' >&2\n";
    std::ofstream(dir / "release") << "JAVA_VERSION=\"" << version << "\"\n";
    for (const fs::path& p : {dir, dir / "bin", dir / "bin/java"}) fs::permissions(p, fs::perms(0755));
    return dir.string();
}

// 8.x runs its bundled JDK whatever JAVA_HOME says; 7.12-7.17 take
// ES_JAVA_HOME first and JAVA_HOME with a deprecation. eslaunch warns where
// JAVA_HOME does not do what it says, and the node runs what the rule says.
TEST_F(Launch, JavaHomeAsEachVersionTakesIt) {
    const std::string jdk11 = make_jdk(dir_ / "jdk11", "11.0.2");
    const std::string jdk17 = make_jdk(dir_ / "jdk17", "17.0.9");
    auto launch = [&](const std::string& home, const std::string& java_vars) {
        fs::remove(record_);
        const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                            "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"," +
                                            java_vars + "\n");
        auto r = run_command({eslaunch_binary(), spec}, base_env);
        EXPECT_EQ(r.status, 0) << r.err;
        return std::make_pair(spec, r.err);
    };
    auto java_run = [&] { return record()["environment"].value("FAKE_ES_JAVA", std::string{"(unset)"}); };

    const std::string eight = make_home("8.15.3");
    auto [spec, err] = launch(eight, "JAVA_HOME=\"" + jdk17 + "\"");
    EXPECT_THAT(err, HasSubstr("eslaunch: warning: " + spec + ":4: JAVA_HOME=" + jdk17 + " (environment= at line 4) "
                               "is ignored: Elasticsearch 8.15.3 runs its bundled JDK (" + eight + "/jdk/bin/java) "
                               "unless ES_JAVA_HOME is set"));
    EXPECT_THAT(err, HasSubstr("warning: ignoring JAVA_HOME=" + jdk17 + "; using bundled JDK"));  // the script's own
    EXPECT_EQ(java_run(), eight + "/jdk/bin/java");
    std::tie(spec, err) = launch(eight, "JAVA_HOME=\"" + jdk17 + "\",ES_JAVA_HOME=\"" + jdk11 + "\"");
    EXPECT_THAT(err, Not(HasSubstr("eslaunch: warning: " + spec + ":4: JAVA_HOME")));
    EXPECT_EQ(java_run(), jdk11 + "/bin/java");

    const std::string seven = make_home("7.17.25");
    std::tie(spec, err) = launch(seven, "JAVA_HOME=\"" + jdk17 + "\",ES_JAVA_HOME=\"" + jdk11 + "\"");
    EXPECT_THAT(err, Not(HasSubstr("JAVA_HOME")));
    EXPECT_EQ(java_run(), jdk11 + "/bin/java");
    std::tie(spec, err) = launch(seven, "JAVA_HOME=\"" + jdk17 + "\"");
    EXPECT_THAT(err, HasSubstr("eslaunch: warning: " + spec + ":4: JAVA_HOME=" + jdk17 + " (environment= at line 4): "
                               "Elasticsearch 7.17.25 runs it, but says \"warning: usage of JAVA_HOME is deprecated, "
                               "use ES_JAVA_HOME\", and 8.0 and later ignore it; set ES_JAVA_HOME in environment= "
                               "instead\n"));
    EXPECT_THAT(err, HasSubstr("\nwarning: usage of JAVA_HOME is deprecated, use ES_JAVA_HOME\n"));  // the script's
    EXPECT_EQ(java_run(), jdk17 + "/bin/java");
}

// jvm.options' Java version ranges apply to the java the version's script
// runs (its JDK's release file), and check shows that java and why.
TEST_F(Launch, JvmOptionsRangesFollowTheJavaThatRuns) {
    const std::string home = make_home("7.17.25");
    const std::string options = home + "/config/jvm.options.d/heap.options";
    std::ofstream(options) << "8-13:-Xmx1g\n14-:-Xmx2g\n";
    const std::string jdk11 = make_jdk(dir_ / "jdk11", "11.0.2");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "heap_size=512m\nenvironment=ES_JAVA_HOME=\"" + jdk11 + "\"\n");
    auto r = run_eslaunch({"check", "--json", spec}, base_env);
    json plan = json::parse(r.out);
    EXPECT_EQ(plan["heap"]["overrides"], json::array({"-Xmx1g (" + options + ":1)"})) << r.out;
    EXPECT_EQ(plan["preflight"]["java"],
              json({{"path", jdk11 + "/bin/java"}, {"source", "ES_JAVA_HOME"}, {"why", "ES_JAVA_HOME is set"},
                    {"status", "ran"}, {"version", "openjdk version \"11.0.2\""}, {"major", 11}}));
    auto text = run_eslaunch({"check", spec}, base_env);
    EXPECT_THAT(text.out, HasSubstr("\n  JVM: " + jdk11 + "/bin/java (ES_JAVA_HOME: ES_JAVA_HOME is set), openjdk "
                                    "version \"11.0.2\"\n"));

    // The bundled JDK is 17: the other line.
    const std::string bundled = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                           "heap_size=512m\n");
    plan = json::parse(run_eslaunch({"check", "--json", bundled}, base_env).out);
    EXPECT_EQ(plan["heap"]["overrides"], json::array({"-Xmx2g (" + options + ":2)"}));
    EXPECT_EQ(plan["preflight"]["java"]["path"], home + "/jdk/bin/java");
    EXPECT_EQ(plan["preflight"]["java"]["why"], "neither ES_JAVA_HOME nor JAVA_HOME is set");
}

TEST_F(Launch, ARealJvmGetsTheHeap) {
    std::error_code ec;
    const fs::path java = fs::canonical("/usr/bin/java", ec);
    if (ec) GTEST_SKIP() << "SKIP: no /usr/bin/java (apt-get install openjdk-17-jre-headless)";
    const std::string spec = write_spec("[program:jvm]\ncommand=" + java.string() +
                                        " -XX:+PrintFlagsFinal -version\nuser=nobody\nprofile=jvm\nheap_size=256m\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("Picked up JAVA_TOOL_OPTIONS: -Xms256m -Xmx256m"));
    auto flag = [&](const std::string& name) {
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream words(line);
            std::string type, key, eq, value;
            if (words >> type >> key >> eq >> value && key == name) return value;
        }
        return std::string{"missing"};
    };
    EXPECT_EQ(flag("MaxHeapSize"), "268435456");
    EXPECT_EQ(flag("InitialHeapSize"), "268435456");
}

// --- what the node needs from the host: memory lock, tmpdir -------------------

// bootstrap.memory_lock needs RLIMIT_MEMLOCK unlimited. Under a hard limit of
// 64 KiB (prlimit) and without CAP_SYS_RESOURCE, the launch exits 205 before
// the exec, naming the setting and the fix; the yml is read as the node's user.
TEST_F(Launch, ANodeAskingForMemoryLockIsRefusedWith205WhereMemlockCannotBeRaised) {
    const std::string home = make_home("7.17.25");
    const std::string yml = home + "/config/elasticsearch.yml";
    std::ofstream(yml, std::ios::app) << "bootstrap.memory_lock: true\n";
    const std::string last_line = std::to_string(lines_of(command_output({"/bin/cat", yml})).size());
    for (const auto& [command, where] :
         {std::pair<std::string, std::string>{home + "/bin/elasticsearch", yml + ":" + last_line},
          {home + "/bin/elasticsearch -E bootstrap.memory_lock=true",
           "command= (-E bootstrap.memory_lock=true)"}}) {
        SCOPED_TRACE(command);
        const std::string spec = write_spec("[program:es]\ncommand=" + command + "\nuser=nobody\ntmpdir=none\n" +
                                            "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
        auto r = run_command({"/usr/bin/prlimit", "--memlock=65536:65536", eslaunch_binary(), spec}, base_env, {}, {},
                             -1, Caps::without_sys_resource);
        EXPECT_EQ(r.status, 205) << r.err;
        EXPECT_THAT(r.err, HasSubstr("bootstrap.memory_lock: true (" + where +
                                     ") needs the memlock limit unlimited; the hard limit is 64K and eslaunch cannot "
                                     "raise it (no CAP_SYS_RESOURCE); set LimitMEMLOCK=infinity in the unit"));
        EXPECT_THAT(r.err, HasSubstr("or set bootstrap.memory_lock: false"));
        EXPECT_FALSE(fs::exists(record_)) << "the node was started";
    }
    // bootstrap.memory_lock: false (the -E over the file) asks for nothing.
    const std::string off = write_spec("[program:es]\ncommand=" + home +
                                       "/bin/elasticsearch -Ebootstrap.memory_lock=false\nuser=nobody\ntmpdir=" +
                                       (dir_ / "tmp").string() + "\n" +
                                       "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({"/usr/bin/prlimit", "--memlock=65536:65536", eslaunch_binary(), off}, base_env, {}, {}, -1,
                         Caps::without_sys_resource);
    EXPECT_EQ(r.status, 0) << r.err;
}

struct stat stat_of(const fs::path& p) {
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) ADD_FAILURE() << "lstat " << p << ": " << std::strerror(errno);
    return st;
}

// tmpdir=: created as root (its missing parents root's, 0755), the node's
// user's with mode 0700, and passed the way each version reads it.
TEST_F(Launch, TheTmpdirIsCreatedForTheNodeAndReachesItTheWayTheVersionReadsIt) {
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    for (const std::string version : {"2.4.6", "5.6.16", "7.17.25", "8.15.3"}) {
        SCOPED_TRACE(version);
        const std::string home = make_home(version);
        const fs::path tmp = dir_ / ("p-" + version) / "tmp";
        const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                            "heap_size=256m\ntmpdir=" + tmp.string() + "\nenvironment=FAKE_ES_RECORD=\"" +
                                            record_ + "\",FAKE_ES_EXIT=\"1\"\n");
        auto r = run_command({eslaunch_binary(), spec}, base_env);
        ASSERT_EQ(r.status, 0) << r.err;
        const struct stat st = stat_of(tmp);
        EXPECT_TRUE(S_ISDIR(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, 0700U);
        EXPECT_EQ(st.st_uid, nobody->pw_uid);
        EXPECT_EQ(st.st_gid, nobody->pw_gid);
        const struct stat parent = stat_of(tmp.parent_path());
        EXPECT_EQ(parent.st_uid, 0U);
        EXPECT_EQ(parent.st_mode & 07777, 0755U);
        const json rec = record();
        EXPECT_EQ(rec["java_io_tmpdir"], tmp.string());
        const json env = rec.value("environment", json::object());
        if (version[0] == '8') {
            // 8.3+: the CLI gets ES_TMPDIR and gives its server child
            // LIBFFI_TMPDIR (and java.io.tmpdir) instead.
            std::ifstream in(record_ + ".cli");
            const json cli = in ? json::parse(in) : json::object();
            EXPECT_EQ(cli.value("environment", json::object()).value("ES_TMPDIR", ""), tmp.string());
            EXPECT_FALSE(env.contains("ES_TMPDIR"));
            EXPECT_EQ(env.value("LIBFFI_TMPDIR", ""), tmp.string());
        } else if (version[0] >= '6') {
            EXPECT_EQ(env.value("ES_TMPDIR", ""), tmp.string());
        } else {
            EXPECT_FALSE(env.contains("ES_TMPDIR"));
        }
        fs::remove(record_);
        fs::remove(record_ + ".cli");
    }
}

// The default for profile elasticsearch: /var/lib/eslaunch/NAME/tmp; one
// that is there already gets its mode fixed, one of another user is refused.
TEST_F(Launch, TheDefaultTmpdirIsTheProgramsOwnUnderVarLibEslaunch) {
    const std::string name = "eslaunch-test-" + std::to_string(getpid());
    const fs::path tmp = fs::path{"/var/lib/eslaunch"} / name / "tmp";
    struct Cleanup {
        fs::path dir;
        ~Cleanup() { fs::remove_all(dir); }
    } cleanup{tmp.parent_path()};
    const std::string home = make_home("7.17.25");
    const std::string spec = write_spec("[program:" + name + "]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(record()["environment"]["ES_TMPDIR"], tmp.string());
    EXPECT_EQ(stat_of(tmp).st_mode & 07777, 0700U);
    EXPECT_EQ(stat_of(tmp.parent_path()).st_uid, 0U);
    EXPECT_EQ(stat_of("/var/lib/eslaunch").st_mode & 07777, 0755U);

    ASSERT_EQ(chmod(tmp.c_str(), 0755), 0);
    r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(stat_of(tmp).st_mode & 07777, 0700U) << "the mode of an existing tmpdir was not fixed";

    ASSERT_EQ(chown(tmp.c_str(), 0, 0), 0);  // not the node's: a leftover of another user
    r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr("tmpdir " + tmp.string() + " is owned by uid 0, not by the node's user"));
}

// A link planted at the tmpdir or at a parent is refused, not followed; so
// is a parent someone else could change.
TEST_F(Launch, APlantedLinkOrAForeignParentOfTheTmpdirIsRefused) {
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    const std::string home = make_home("7.17.25");
    const fs::path victim = dir_ / "victim";
    fs::create_directory(victim);
    fs::permissions(victim, fs::perms(0755));
    fs::create_directory_symlink(victim, dir_ / "link");
    auto launch = [&](const fs::path& tmp) {
        const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                            "tmpdir=" + tmp.string() + "\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                                            "\",FAKE_ES_EXIT=\"1\"\n");
        return run_command({eslaunch_binary(), spec}, base_env);
    };
    auto r = launch(dir_ / "link");
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr("tmpdir " + (dir_ / "link").string() +
                                 " is a symbolic link or not a directory, and eslaunch follows no link here"));
    EXPECT_EQ(stat_of(victim).st_uid, 0U) << "the link was followed";
    EXPECT_EQ(stat_of(victim).st_mode & 07777, 0755U) << "the link was followed";
    r = launch(dir_ / "link" / "tmp");
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_FALSE(fs::exists(victim / "tmp")) << "the link was followed";
    // A parent the node's user owns: it could swap the tmpdir for a link.
    fs::create_directory(dir_ / "theirs");
    ASSERT_EQ(chown((dir_ / "theirs").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    r = launch(dir_ / "theirs" / "tmp");
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr((dir_ / "theirs").string() + " is owned by uid " + std::to_string(nobody->pw_uid) +
                                 ", not root"));
    EXPECT_FALSE(fs::exists(dir_ / "theirs" / "tmp"));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";
}

// 8.3+ refuses an ES_TMPDIR that is not there (exit 78), as the fake models:
// the operator's own ES_TMPDIR, without tmpdir=, is passed as it is.
TEST_F(Launch, AnOperatorsOwnEsTmpdirIsPassedAsItIs) {
    const std::string home = make_home("8.15.3");
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "environment=ES_TMPDIR=\"" + (dir_ / "missing").string() +
                                        "\",FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78);
    EXPECT_THAT(r.err, HasSubstr("Temporary directory [" + (dir_ / "missing").string() +
                                 "] does not exist or is not accessible"));
}

// check's preflight fails a tmpdir on a noexec mount (statvfs as the
// node's user): a tmpfs mounted noexec in a mount namespace of its own.
TEST_F(Launch, CheckFailsATmpdirOnANoexecMount) {
    if (access("/usr/bin/unshare", X_OK) != 0) GTEST_SKIP() << "SKIP: no /usr/bin/unshare (util-linux)";
    const std::string home = make_home("7.17.25");
    const fs::path mnt = dir_ / "mnt";
    fs::create_directory(mnt);
    const std::string spec = write_spec("[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=nobody\n" +
                                        "tmpdir=" + (mnt / "tmp").string() + "\n");
    const std::string script = "mount -t tmpfs -o noexec,mode=0755 tmpfs '" + mnt.string() + "' || exit 77; exec '" +
                               eslaunch_binary() + "' check '" + spec + "'";
    auto r = run_command({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script}, base_env);
    if (r.status == 77) GTEST_SKIP() << "SKIP: cannot mount a tmpfs in a private mount namespace here: " << r.err;
    EXPECT_NE(r.status, 0);
    EXPECT_THAT(r.out + r.err, HasSubstr("tmpdir " + (mnt / "tmp").string() +
                                         " is on a file system mounted noexec (statvfs as nobody)"));
    // The same without noexec passes that check.
    const std::string exec_ok = "mount -t tmpfs -o mode=0755 tmpfs '" + mnt.string() + "' || exit 77; exec '" +
                                eslaunch_binary() + "' check '" + spec + "'";
    r = run_command({"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", exec_ok}, base_env);
    EXPECT_THAT(r.out + r.err, Not(HasSubstr("mounted noexec")));
}

}  // namespace
}  // namespace eslaunch::testing

// --- profile opensearch, through the fake OpenSearch homes ----------------------

namespace eslaunch::testing {
namespace {

// bin/opensearch of the fake 2.x home builds OPENSEARCH_JAVA_OPTS from
// jvm.options (-Xms1g -Xmx1g) and the inherited one; a stand-in for fake-es
// hands its -Xms/-Xmx, in order, to a real JVM.
TEST_F(Launch, OpenSearchHeapReachesARealJvm) {
    std::error_code ec;
    const fs::path java = fs::canonical("/usr/bin/java", ec);
    if (ec) GTEST_SKIP() << "SKIP: no /usr/bin/java (apt-get install openjdk-17-jre-headless)";
    const fs::path stand_in = dir_ / "real-jvm";
    std::ofstream(stand_in) << "#!/bin/sh\nwhile [ $# -gt 0 ] && [ \"$1\" != -- ]; do shift; done\nshift\nopts=\n"
                               "for a in \"$@\"; do case $a in -Xms*|-Xmx*) opts=\"$opts $a\" ;; esac; done\n"
                               "exec " + java.string() + " $opts -XX:+PrintFlagsFinal -version\n";
    fs::permissions(stand_in, fs::perms(0755));
    const std::string home = (dir_ / "os-2.19.1").string();
    command_output({"/bin/bash", getenv_or_fail("ESLAUNCH_MAKE_HOME"), "opensearch-2.19.1", home, stand_in.string()});
    const std::string spec = write_spec("[program:os]\ncommand=" + home + "/bin/opensearch\nuser=nobody\n" +
                                        "heap_size=256m\nready=none\ntmpdir=" + (dir_ / "tmp").string() + "\n" +
                                        "environment=FAKE_ES_RECORD=\"unused\"\n");
    auto r = run_command({eslaunch_binary(), spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    auto flag = [&](const std::string& name) {
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream words(line);
            std::string type, key, eq, value;
            if (words >> type >> key >> eq >> value && key == name) return value;
        }
        return std::string{"missing"};
    };
    EXPECT_EQ(flag("MaxHeapSize"), "268435456") << r.err;
    EXPECT_EQ(flag("InitialHeapSize"), "268435456");
}

// The heap in OPENSEARCH_JAVA_OPTS after jvm.options, OPENSEARCH_TMPDIR as
// jvm.options' -Djava.io.tmpdir; a second heap, or JAVA_TOOL_OPTIONS, is 78
// and nothing runs.
TEST_F(Launch, OpenSearchGetsItsOwnVariablesAndConflictsAre78) {
    const std::string home = make_home("opensearch-2.19.1");
    const std::string tmp = (dir_ / "tmp").string();
    const std::string env = "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"";
    const std::string base = "[program:os]\ncommand=" + home + "/bin/opensearch\nuser=nobody\nheap_size=512m\n" +
                             "ready=none\ntmpdir=" + tmp + "\n";
    auto r = run_command({eslaunch_binary(), write_spec(base + env + "\n")}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    json rec = record();
    EXPECT_EQ(rec["heap"], json({{"xms", "512m"}, {"xmx", "512m"}}));
    EXPECT_EQ(rec["java_io_tmpdir"], tmp);
    EXPECT_EQ(rec["main_class"], "org.opensearch.bootstrap.OpenSearch");
    EXPECT_FALSE(rec["environment"].contains("JAVA_TOOL_OPTIONS"));

    fs::remove(record_);
    const std::string spec = write_spec(base + env + ",OPENSEARCH_JAVA_OPTS=\"-Xmx4g\"\n");
    r = run_command({eslaunch_binary(), spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(spec + ":4: heap_size=512m and -Xmx4g in OPENSEARCH_JAVA_OPTS both set the heap; "
                                 "remove -Xmx4g from OPENSEARCH_JAVA_OPTS or remove heap_size="));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";
    r = run_command({eslaunch_binary(), write_spec(base + "heap_via=java_tool_options\n" + env + "\n")}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr("bin/opensearch-env unsets JAVA_TOOL_OPTIONS before the JVM starts"));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";
}

// The default probe and the memory lock follow opensearch.yml, read as the
// node's user: HTTPS from plugins.security.ssl.http.enabled.
TEST_F(Launch, OpenSearchFollowsOpensearchYml) {
    const std::string home = make_home("opensearch-2.19.1");
    const std::string yml = home + "/config/opensearch.yml";
    std::ofstream(yml) << "cluster.name: os\nhttp.port: 9444\nplugins.security.ssl.http.enabled: true\n"
                          "bootstrap.memory_lock: true\n";
    const std::string spec = write_spec("[program:os]\ncommand=" + home + "/bin/opensearch\nuser=nobody\ntmpdir=none\n" +
                                        "environment=FAKE_ES_RECORD=\"" + record_ + "\",FAKE_ES_EXIT=\"1\"\n");
    auto check = run_eslaunch({"check", "--json", spec}, base_env);
    const json plan = json::parse(check.out);
    EXPECT_EQ(plan["profile"], "opensearch");
    EXPECT_EQ(plan["readiness"]["probe"], "https://127.0.0.1:9444/") << check.out;
    EXPECT_EQ(plan["readiness"]["source"], "profile opensearch: http.port 9444 (" + yml + ":2), "
                                           "plugins.security.ssl.http.enabled true (" + yml + ":3)");
    auto r = run_command({"/usr/bin/prlimit", "--memlock=65536:65536", eslaunch_binary(), spec}, base_env, {}, {}, -1,
                         Caps::without_sys_resource);
    EXPECT_EQ(r.status, 205) << r.err;
    EXPECT_THAT(r.err, HasSubstr("bootstrap.memory_lock: true (" + yml + ":4) needs the memlock limit unlimited"));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";
}

}  // namespace
}  // namespace eslaunch::testing

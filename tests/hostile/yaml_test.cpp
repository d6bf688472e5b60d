// Finding 2: elasticsearch.yml, which the service's group can write, read
// without bounds. An 871-byte alias bomb (10^9 settings) must cost the
// launch, check and check --cluster a fraction of a second and little
// memory, with one FILE:LINE error; a reader must die with eslaunch and
// have limits of its own; its answer is never cut silently; values echoed
// from the file are cut.
#include <signal.h>

#include <gmock/gmock.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <regex>
#include <sstream>

#include "hostile.hpp"

// Its own namespace: the hostile suite is one unity build.
namespace eslaunch::testing::yaml_finding {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> base_env = {"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

// Nine levels of ten keys, each level's values aliases of the level before.
std::string alias_bomb() {
    std::string text;
    for (int level = 0; level < 9; ++level) {
        const std::string value = level == 0 ? "x" : "*l" + std::to_string(level - 1);
        text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " {";
        for (int k = 0; k < 10; ++k) text += (k == 0 ? "" : ", ") + ("k" + std::to_string(k) + ": " + value);
        text += "}\n";
    }
    return text;
}

// The text of line `line` (1-based) of `text`.
std::string line_of(const std::string& text, int line) {
    std::istringstream in(text);
    std::string l;
    for (int i = 0; i < line && std::getline(in, l); ++i) {
    }
    return l;
}

// The pids whose command line holds `marker` (zombies have none).
std::vector<pid_t> processes_with(const std::string& marker) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "cmdline", std::ios::binary);
        const std::string cmdline{std::istreambuf_iterator<char>(in), {}};
        if (cmdline.find(marker) != std::string::npos) found.push_back(std::stoi(name));
    }
    return found;
}

// The live (not zombie) children of `parent`.
std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "stat");
        std::string stat{std::istreambuf_iterator<char>(in), {}};
        const std::size_t paren = stat.rfind(')');
        if (paren == std::string::npos) continue;
        std::istringstream rest(stat.substr(paren + 2));
        char state = 0;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid == parent && state != 'Z') found.push_back(std::stoi(name));
    }
    return found;
}

// Whether `pid` runs (a zombie does not).
bool alive(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat{std::istreambuf_iterator<char>(in), {}};
    const std::size_t paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Waits up to `limit` for `done` to hold.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit) {
    for (const auto end = std::chrono::steady_clock::now() + limit; !done();) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

class Yaml : public ::testing::Test {
protected:
    void SetUp() override {
        HOSTILE_REQUIRE_ROOT();
        dir_ = make_launch_dir("yaml");
        ASSERT_FALSE(dir_.empty());
        home_ = dir_ / "es";
        command_output({"/bin/bash", getenv_or_fail("ESLAUNCH_MAKE_HOME"), "7.17.25", home_.string(),
                        getenv_or_fail("ESLAUNCH_FAKE_ES")});
        yml_ = (home_ / "config" / "elasticsearch.yml").string();
        spec_ = (dir_ / "es.ini").string();
        write_file(spec_, "[program:es]\ncommand=" + (home_ / "bin/elasticsearch").string() + "\nuser=" + test_user +
                              "\ntmpdir=" + (dir_ / "tmp").string() + "\nenvironment=FAKE_ES_RECORD=\"" + record() + "\",FAKE_ES_EXIT=\"1\"\n");
    }
    void TearDown() override {
        for (pid_t p : leftovers_) kill(p, SIGKILL);
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // elasticsearch.yml as Elastic's packages leave it: the service's to write.
    void write_yml(const std::string& text) {
        write_file(yml_, text, 0660, uid_of(test_user), gid_of(test_user));
    }
    [[nodiscard]] std::string record() const { return (dir_ / "out" / "record.json").string(); }

    // eslaunch and eslaunch-watch copied to bin/, beside `script` as
    // eslaunch-check: eslaunch runs its helpers from beside itself.
    std::string with_stand_in(const std::string& script) {
        const fs::path bin = dir_ / "bin";
        fs::create_directory(bin);
        fs::permissions(bin, fs::perms(0755));
        fs::copy_file(eslaunch_binary(), bin / "eslaunch");
        fs::copy_file(fs::path(eslaunch_binary()).parent_path() / "eslaunch-watch", bin / "eslaunch-watch");
        write_file(bin / "eslaunch-check", script, 0755);
        return (bin / "eslaunch").string();
    }

    // The FILE:LINE of the first "eslaunch: error: FILE:LINE: " or warning's
    // "...: FILE:LINE: " about elasticsearch.yml in `err`; 0 if none.
    [[nodiscard]] int line_in(const std::string& err) const {
        std::smatch m;
        const std::regex at(std::regex_replace(yml_, std::regex{R"([.^$|()\[\]{}*+?\\])"}, R"(\$&)") + ":([0-9]+): ");
        return std::regex_search(err, m, at) ? std::stoi(m[1]) : 0;
    }

    fs::path dir_;
    fs::path home_;
    std::string yml_;
    std::string spec_;
    std::vector<pid_t> leftovers_;
};

TEST_F(Yaml, TheLaunchReadsTheBombQuicklyAndStartsTheNode) {
    write_yml(alias_bomb());
    const Usage u = run_measured({eslaunch_binary(), spec_}, base_env, 30s);
    EXPECT_EQ(u.status, 0) << u.err;
    EXPECT_LT(u.wall, 4s) << u.err;                   // the reader's deadline is 10 s
    EXPECT_LT(u.max_rss_kib, 200 * 1024) << u.err;  // it reached 2 GB
    EXPECT_THAT(u.err, HasSubstr("the default probe ignores elasticsearch.yml"));
    EXPECT_THAT(u.err, HasSubstr("more than 100000 keys and list items, the limit"));
    const int line = line_in(u.err);
    EXPECT_THAT(line_of(alias_bomb(), line), HasSubstr(": *l")) << u.err;
    EXPECT_TRUE(fs::exists(record())) << "the node did not start: " << u.err;
}

TEST_F(Yaml, CheckRefusesTheBombQuicklyWithItsLine) {
    write_yml(alias_bomb());
    for (const auto& args : {std::vector<std::string>{"check", spec_}, {"check", "--cluster", yml_}}) {
        SCOPED_TRACE(args[1]);
        std::vector<std::string> command{eslaunch_binary()};
        command.insert(command.end(), args.begin(), args.end());
        const Usage u = run_measured(command, base_env, 30s);
        EXPECT_EQ(u.status, 78) << u.err;
        EXPECT_LT(u.wall, 4s) << u.err;
        EXPECT_LT(u.max_rss_kib, 200 * 1024) << u.err;
        EXPECT_THAT(u.err, HasSubstr("eslaunch: error: " + yml_ + ":"));
        EXPECT_THAT(u.err, HasSubstr("more than 100000 keys and list items, the limit"));
        EXPECT_THAT(line_of(alias_bomb(), line_in(u.err)), HasSubstr(": *l")) << u.err;
    }
}

TEST_F(Yaml, KillingTheLaunchKillsTheReader) {
    // A reader that takes its time; its path is the marker.
    const std::string launcher = with_stand_in("#!/usr/bin/python3\nimport time\ntime.sleep(60)\n");
    const std::string marker = (dir_ / "bin" / "eslaunch-check").string();
    const pid_t launch = spawn_command({launcher, spec_}, base_env, (dir_ / "out" / "err").string());
    const bool started = eventually([&] { return !processes_with(marker).empty(); }, 5s);
    leftovers_ = processes_with(marker);
    kill_and_reap(launch);
    ASSERT_TRUE(started) << "the stand-in reader never ran";
    EXPECT_TRUE(eventually([&] { return processes_with(marker).empty(); }, 1s))
        << "the reader outlived eslaunch (SIGKILL)";
}

TEST_F(Yaml, KillingCheckKillsItsReader) {
    // The densest YAML 1 MiB holds takes the reader about a second.
    std::string dense = "a: {b";
    while (dense.size() < 1024 * 1024 - 8) dense += ",b";
    write_yml(dense + "}\n");
    const pid_t check = spawn_command({eslaunch_binary(), "check", spec_}, base_env, (dir_ / "out" / "err").string());
    std::vector<pid_t> readers;
    const bool started = eventually([&] { return !(readers = children_of(check)).empty(); }, 5s);
    kill_and_reap(check);
    ASSERT_TRUE(started) << "check started no reader";
    leftovers_ = readers;
    EXPECT_TRUE(eventually([&] { return std::none_of(readers.begin(), readers.end(), alive); }, 300ms))
        << "check's reader outlived it";
}

TEST_F(Yaml, TheReaderHasLimitsOfItsOwn) {
    const std::string limits = (dir_ / "out" / "limits.json").string();
    const std::string launcher = with_stand_in(
        "#!/usr/bin/python3\nimport ctypes, json, resource\n"
        "sig = ctypes.c_int()\nctypes.CDLL(None).prctl(2, ctypes.byref(sig))  # PR_GET_PDEATHSIG\n"
        "json.dump({'as': resource.getrlimit(resource.RLIMIT_AS), 'cpu': resource.getrlimit(resource.RLIMIT_CPU),\n"
        "           'core': resource.getrlimit(resource.RLIMIT_CORE), 'pdeathsig': sig.value}, open('" +
        limits + "', 'w'))\n");
    const RunResult r = run_command({launcher, spec_}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    std::ifstream in(limits);
    ASSERT_TRUE(in) << "the stand-in reader did not run: " << r.err;
    const nlohmann::json got = nlohmann::json::parse(in);
    const auto infinity = static_cast<std::int64_t>(RLIM_INFINITY);
    for (const char* soft_hard : {"as", "cpu"}) {
        for (int i : {0, 1}) {
            const std::int64_t v = got[soft_hard][i];
            EXPECT_TRUE(v != infinity && v > 0) << soft_hard << ": " << got.dump();
        }
    }
    EXPECT_LE(got["as"][1].get<std::int64_t>(), std::int64_t{4} << 30) << got.dump();
    EXPECT_LT(got["cpu"][1].get<std::int64_t>(), 10) << "not below the 10 s deadline: " << got.dump();
    EXPECT_EQ(got["core"][1], 0);
    EXPECT_EQ(got["pdeathsig"], SIGKILL);
}

TEST_F(Yaml, AnAnswerOverTheLimitIsSaidToBeSoNotCut) {
    const std::string launcher =
        with_stand_in("#!/usr/bin/python3\nimport sys\nsys.stdout.write('0:' + '9' * (3 << 20))\n");
    const RunResult r = run_command({launcher, spec_}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("failed: its answer was over 2 MiB"));
    EXPECT_THAT(r.err, Not(HasSubstr("cannot read")));
}

TEST_F(Yaml, CheckReadsAValidFileOf100000Keys) {
    // 100,000 keys of 10 bytes a line, then longer values up to 1 MiB.
    std::string keys;
    for (int i = 0; i < 100000; ++i) {
        char line[32];
        std::snprintf(line, sizeof line, "k%05d: v%s\n", i, i < 48576 ? "v" : "");
        keys += line;
    }
    ASSERT_EQ(keys.size(), 1024U * 1024U);
    write_yml(keys);
    const Usage u = run_measured({eslaunch_binary(), "check", spec_}, base_env, 30s);
    EXPECT_EQ(u.status, 0) << u.err;
    EXPECT_THAT(u.err, Not(HasSubstr("cannot read"))) << u.err;
    EXPECT_LT(u.wall, 8s) << u.err;
}

TEST_F(Yaml, ValuesFromTheFileAreCutInMessages) {
    for (const std::string& yml : {"http.port: " + std::string(1000000, '9') + "\n",
                                   "network.host: " + std::string(300000, 'h') + "\n"}) {
        SCOPED_TRACE(yml.substr(0, 20));
        write_yml(yml);
        const RunResult launch = run_command({eslaunch_binary(), spec_}, base_env);
        const RunResult check = run_command({eslaunch_binary(), "check", spec_}, base_env);
        EXPECT_EQ(launch.status, 0) << launch.err.substr(0, 2000);
        EXPECT_THAT(launch.err, Not(HasSubstr("Argument list too long")));  // the watcher's --ready URL
        for (const std::string* out : {&launch.err, &check.out, &check.err}) {
            std::istringstream lines(*out);
            for (std::string line; std::getline(lines, line);) EXPECT_LT(line.size(), 2000U) << line.substr(0, 200);
        }
        EXPECT_THAT(launch.err, HasSubstr("bytes)"));  // cut(): "... (N bytes)"
    }
}

TEST_F(Yaml, CheckClusterCutsValuesInItsFindings) {
    const std::string huge(100000, 'x');  // six of them fit in 1 MiB
    const fs::path a = dir_ / "a.yml";
    const fs::path b = dir_ / "b.yml";
    write_file(a, "cluster.name: " + huge + "\nnode.name: " + huge + "\nnode.master: " + huge +
                      "\ndiscovery.zen.minimum_master_nodes: " + huge + "\ndiscovery.zen.ping.unicast.hosts: [" + huge +
                      "]\ncluster.initial_master_nodes: [" + huge + "]\n");
    write_file(b, "cluster.name: other\nnode.name: " + huge + "\nnode.roles: [master]\nnode.master: " + huge + "\n");
    const RunResult r = run_command({eslaunch_binary(), "check", "--cluster", a.string(), b.string()}, base_env);
    EXPECT_EQ(r.status, 78) << r.err.substr(0, 2000);
    EXPECT_THAT(r.err, HasSubstr("(100000 bytes)"));
    for (const std::string* out : {&r.out, &r.err}) {
        std::istringstream lines(*out);
        for (std::string line; std::getline(lines, line);) EXPECT_LT(line.size(), 2000U) << line.substr(0, 300);
    }
}

}  // namespace
}  // namespace eslaunch::testing::yaml_finding

// stdin= (issue 18): a keystore passphrase file opened by eslaunch as root,
// so it stays root:root 0600, put on fd 0 of the program only (never the
// watcher's or a helper's); a file anyone but root could change or swap is
// refused with 78 and nothing started. `check` asks the keystore, as the
// node's user, whether it needs a passphrase.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> base_env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};
constexpr const char* secret = "s3cret phrase";

class Stdin : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) ensure_test_user();
    }
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root: stdin=file: is opened as root for another user";
        dir_ = make_launch_dir("stdin");
        ASSERT_FALSE(dir_.empty());
        record_ = (dir_ / "out" / "record.json").string();
        fs::create_directory(dir_ / "secret");
        fs::permissions(dir_ / "secret", fs::perms(0755));
        pass_ = (dir_ / "secret" / "es.passphrase").string();
        write_pass(std::string{secret} + "\n");
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    void write_pass(const std::string& text) {
        std::ofstream(pass_) << text;
        fs::permissions(pass_, fs::perms(0600));
    }

    // A home (7.17 unless `version` says, e.g. opensearch-2.19.1) whose
    // keystore is `keystore` (make_home.sh's MAKE_HOME_KEYSTORE).
    std::string make_home(const std::string& keystore, const std::string& version = "7.17.25") {
        const std::string home = (dir_ / "es").string();
        auto r = run_command({"/usr/bin/env", "MAKE_HOME_KEYSTORE=" + keystore, "/bin/bash",
                              getenv_or_fail("ESLAUNCH_MAKE_HOME"), version, home, getenv_or_fail("ESLAUNCH_FAKE_ES")},
                             {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
        EXPECT_EQ(r.status, 0) << r.err;
        script_ = version.starts_with("opensearch-") ? "opensearch" : "elasticsearch";
        return home;
    }

    // stdin= on line 4 when `stdin` is not empty.
    std::string write_spec(const std::string& home, const std::string& stdin, const std::string& extra = {},
                           const std::string& env = ",FAKE_ES_EXIT=\"1\"") {
        const fs::path path = dir_ / "spec.ini";
        std::ofstream(path) << "[program:es]\ncommand=" << home << "/bin/" << script_ << "\nuser=" << test_user << "\n"
                            << (stdin.empty() ? "" : "stdin=" + stdin + "\n")
                            << "tmpdir=" << (dir_ / "tmp").string() << "\n" << extra
                            << "environment=FAKE_ES_RECORD=\"" << record_ << "\"" << env << "\n";
        fs::permissions(path, fs::perms(0644));
        return path.string();
    }

    json record() const {
        std::ifstream in(record_);
        return in ? json::parse(in) : json(nullptr);
    }

    json check_json(const std::string& spec, int want_status) {
        auto r = run_eslaunch({"check", "--json", spec}, base_env);
        EXPECT_EQ(r.status, want_status) << r.err;
        return json::parse(r.out, nullptr, false);
    }

    fs::path dir_;
    std::string record_;
    std::string pass_;
    std::string script_ = "elasticsearch";  // bin/ of the home make_home made
};

// open(2) of `path` as the test user (its groups, gid, uid): the errno, 0 if it opened.
int open_errno_as_test_user(const std::string& path) {
    const passwd* pw = getpwnam(test_user);
    if (pw == nullptr) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        if (initgroups(test_user, pw->pw_gid) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
            _exit(255);
        }
        const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        _exit(fd >= 0 ? 0 : errno);
    }
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

// What `fd` of process `pid` is, as /proc shows it; empty when closed.
std::string fd_target(pid_t pid, int fd) {
    std::error_code ec;
    const auto target = fs::read_symlink(fs::path("/proc") / std::to_string(pid) / "fd" / std::to_string(fd), ec);
    return ec ? std::string{} : target.string();
}

// Every fd of process `pid` that is `path`.
std::vector<int> fds_on(pid_t pid, const std::string& path) {
    std::vector<int> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec)) {
        if (fd_target(pid, std::stoi(e.path().filename())) == path) found.push_back(std::stoi(e.path().filename()));
    }
    return found;
}

// The pid of the running eslaunch-watch for --program `name`, or 0.
pid_t find_watcher(const std::string& name) {
    const std::string want = std::string{"eslaunch-watch\0--program\0", 25} + name + '\0';
    for (const auto& e : fs::directory_iterator("/proc")) {
        const std::string pid = e.path().filename();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const int fd = open((e.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;  // gone meanwhile
        char buf[256];
        const ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        if (n > 0 && std::string_view(buf, static_cast<std::size_t>(n)).starts_with(want)) return std::stoi(pid);
    }
    return 0;
}

// The node's user could not read the file (root:root 0600), yet the node
// unlocked its keystore with it: eslaunch opened it as root.
TEST_F(Stdin, APassphraseFileOnlyRootCanReadUnlocksTheKeystore) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    auto r = run_eslaunch({write_spec(home, "file:" + pass_)}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    const json rec = record();
    ASSERT_TRUE(rec.is_object()) << "no record: " << r.err;
    EXPECT_EQ(rec["keystore"], "unlocked");
    EXPECT_EQ(rec["stdin"], pass_);  // fd 0 of the program is the file
    EXPECT_EQ(rec["open_fds"], json({0, 1, 2}));  // and nothing else of eslaunch's
    EXPECT_EQ(open_errno_as_test_user(pass_), EACCES);
}

TEST_F(Stdin, AWrongPassphraseFailsTheStartWithElasticsearchsMessage) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    write_pass("not the secret\n");
    auto r = run_eslaunch({write_spec(home, "file:" + pass_)}, base_env);
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.err, HasSubstr("Provided keystore password was incorrect"));
    EXPECT_TRUE(record().is_null());
}

// Without stdin= the program reads /dev/null, not eslaunch's own stdin:
// here a pipe holding the right passphrase, which the node must not see.
TEST_F(Stdin, WithoutStdinTheProgramReadsDevNullNotEslaunchsStdin) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    int fds[2] = {-1, -1};
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    const std::string line = std::string{secret} + "\n";
    ASSERT_EQ(write(fds[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
    close(fds[1]);
    const int saved = dup(0);
    ASSERT_EQ(dup2(fds[0], 0), 0);
    close(fds[0]);
    auto r = run_eslaunch({write_spec(home, "")}, base_env);
    dup2(saved, 0);
    close(saved);
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.err, HasSubstr("Failed to read keystore password on console"));
    EXPECT_TRUE(record().is_null());
}

TEST_F(Stdin, APlainKeystoreStartsWithoutAPassphrase) {
    const std::string home = make_home("plain");
    auto r = run_eslaunch({write_spec(home, "null")}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(record()["keystore"], "plain");
    EXPECT_EQ(record()["stdin"], "/dev/null");
}

// --- OpenSearch (profile opensearch): bin/opensearch reads the passphrase
// on stdin as Elasticsearch 7.x does; 2.14+ first take KEYSTORE_PASSWORD.

TEST_F(Stdin, OpenSearchUnlocksItsKeystoreWithAFileOnlyRootCanRead) {
    const std::string home = make_home(std::string{"passphrase:"} + secret, "opensearch-2.19.1");
    auto r = run_eslaunch({write_spec(home, "file:" + pass_)}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    const json rec = record();
    ASSERT_TRUE(rec.is_object()) << "no record: " << r.err;
    EXPECT_EQ(rec["main_class"], "org.opensearch.bootstrap.OpenSearch");
    EXPECT_EQ(rec["keystore"], "unlocked");
    EXPECT_EQ(rec["stdin"], pass_);
    EXPECT_EQ(open_errno_as_test_user(pass_), EACCES);
}

// Before 2.14 bin/opensearch unsets KEYSTORE_PASSWORD and reads stdin only
// (eslaunch warns); from 2.14 it unlocks, and stays in the node's environment.
TEST_F(Stdin, KeystorePasswordInTheEnvironmentUnlocksOpenSearchFrom2_14Only) {
    const std::string env = ",FAKE_ES_EXIT=\"1\",KEYSTORE_PASSWORD=\"" + std::string{secret} + "\"";
    std::string home = make_home(std::string{"passphrase:"} + secret, "opensearch-1.3.20");
    auto r = run_eslaunch({write_spec(home, "null", {}, env)}, base_env);
    EXPECT_EQ(r.status, 1);
    EXPECT_THAT(r.err, HasSubstr("KEYSTORE_PASSWORD in environment= is ignored: bin/opensearch of OpenSearch 1.3.20"));
    EXPECT_THAT(r.err, HasSubstr("Failed to read keystore password on console"));
    EXPECT_TRUE(record().is_null()) << "the node started";

    fs::remove_all(home);
    home = make_home(std::string{"passphrase:"} + secret, "opensearch-2.14.0");
    r = run_eslaunch({write_spec(home, "null", {}, env)}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("Using value of KEYSTORE_PASSWORD from the environment"));
    const json rec = record();
    ASSERT_TRUE(rec.is_object()) << "no record: " << r.err;
    EXPECT_EQ(rec["keystore"], "unlocked");
    EXPECT_EQ(rec["stdin"], "/dev/null");
    EXPECT_EQ(rec["environment"]["KEYSTORE_PASSWORD"], secret);
}

TEST_F(Stdin, APlainOpenSearchKeystoreStartsWithoutAPassphrase) {
    for (const std::string version : {"opensearch-1.3.20", "opensearch-2.19.1"}) {
        SCOPED_TRACE(version);
        fs::remove(record_);
        const std::string home = make_home("plain", version);
        auto r = run_eslaunch({write_spec(home, "null")}, base_env);
        ASSERT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(record()["keystore"], "plain");
        EXPECT_EQ(record()["stdin"], "/dev/null");
    }
}

// Each file anyone but root could change, or swap through a directory or
// link, is refused before anything is applied: 78 at stdin='s line, no exec.
TEST_F(Stdin, AFileOthersCouldChangeIsRefusedAndNothingStarts) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    const passwd* pw = getpwnam(test_user);
    ASSERT_NE(pw, nullptr);
    struct Case {
        std::string name;
        std::function<std::string()> make;  // returns the path stdin= names
        std::string message;
    };
    const fs::path user_dir = dir_ / "userdir";
    const std::vector<Case> cases = {
        {"owned by the user",
         [&] {
             EXPECT_EQ(chown(pass_.c_str(), pw->pw_uid, 0), 0);
             return pass_;
         },
         "is owned by uid " + std::to_string(pw->pw_uid) + ", not root"},
        {"group-writable",
         [&] {
             fs::permissions(pass_, fs::perms(0620));
             return pass_;
         },
         "is writable by its group (mode 0620)"},
        {"a symbolic link",
         [&] {
             fs::create_symlink(pass_, dir_ / "secret" / "link");
             return (dir_ / "secret" / "link").string();
         },
         "is a symbolic link; name the file itself"},
        {"in a directory of the user's",
         [&] {
             fs::create_directory(user_dir);
             fs::copy_file(pass_, user_dir / "pw");
             EXPECT_EQ(chown(user_dir.c_str(), pw->pw_uid, pw->pw_gid), 0);
             return (user_dir / "pw").string();
         },
         user_dir.string() + " is owned by uid " + std::to_string(pw->pw_uid)},
        {"missing",
         [&] { return (dir_ / "secret" / "none").string(); },
         "cannot open: No such file or directory; create it (root:root, mode 0600), or fix stdin="},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        fs::remove(record_);
        write_pass(std::string{secret} + "\n");
        EXPECT_EQ(chown(pass_.c_str(), 0, 0), 0);
        const std::string spec = write_spec(home, "file:" + c.make());
        auto r = run_eslaunch({spec}, base_env);
        EXPECT_EQ(r.status, 78) << r.err;
        EXPECT_THAT(r.err, HasSubstr(spec + ":4: stdin: file:"));
        EXPECT_THAT(r.err, HasSubstr(c.message));
        EXPECT_TRUE(record().is_null()) << "the program ran";
        // check stops at it too, with the launch's status.
        const json j = check_json(spec, 78);
        bool found = false;
        for (const auto& f : j["findings"]) found = found || (f["id"] == "stdin" && f["status"] == 78);
        EXPECT_TRUE(found) << j["findings"].dump();
    }
}

// The watcher starts before fd 0 becomes the file: it keeps eslaunch's own
// stdin and holds no fd on the file; the node has it on fd 0.
TEST_F(Stdin, OnlyTheProgramGetsTheFileNotTheWatcher) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    const std::uint16_t port = free_port();
    const std::string spec = write_spec(home, "file:" + pass_, "ready=tcp://127.0.0.1:" + std::to_string(port) + "\n",
                                        ",FAKE_ES_HTTP_PORT=\"" + std::to_string(port) + "\",FAKE_ES_DELAY_MS=\"60000\"");
    const std::string err = (dir_ / "out" / "stderr").string();
    const pid_t pid = spawn_command({eslaunch_binary(), spec}, base_env, err);
    pid_t watcher = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    while ((watcher == 0 || !fs::exists(record_)) && std::chrono::steady_clock::now() < deadline) {
        if (watcher == 0) watcher = find_watcher("es");
        if (wait_exit(pid, std::chrono::milliseconds{20})) break;  // the launch failed: nothing to look at
    }
    ASSERT_NE(watcher, 0) << "no eslaunch-watch for program es";
    ASSERT_TRUE(fs::exists(record_)) << "the node did not start";
    // The node opens its port only after 60 s: the watcher is still probing.
    EXPECT_EQ(fd_target(pid, 0), pass_);
    EXPECT_EQ(fd_target(watcher, 0), "/dev/null");  // spawn_command's stdin, eslaunch's own
    EXPECT_THAT(fds_on(watcher, pass_), ::testing::IsEmpty());
    EXPECT_EQ(kill(watcher, 0), 0) << "the watcher was gone before it was looked at";
    EXPECT_EQ(record()["keystore"], "unlocked");
    kill(watcher, SIGKILL);
    kill_and_reap(pid);
}

// The reader of elasticsearch.yml runs while eslaunch plans, before the
// file is opened: a stand-in for eslaunch-check records its stdin and fds.
TEST_F(Stdin, TheSettingsReaderDoesNotGetTheFile) {
    const fs::path bin = dir_ / "bin";
    fs::create_directories(bin);
    fs::permissions(bin, fs::perms(0755));
    fs::copy_file(eslaunch_binary(), bin / "eslaunch");
    fs::copy_file(fs::path(eslaunch_binary()).parent_path() / "eslaunch-watch", bin / "eslaunch-watch");
    const std::string helper_record = (dir_ / "out" / "helper.json").string();
    std::ofstream(bin / "eslaunch-check")
        << "#!/usr/bin/python3\nimport json, os, sys\n"
           "fds = {}\n"
           "for f in os.listdir('/proc/self/fd'):\n"
           "    try: fds[f] = os.readlink('/proc/self/fd/' + f)\n"
           "    except OSError: pass  # listdir's own, closed by now\n"
           "json.dump(fds, open('" << helper_record << "', 'w'))\n"
           "sys.stdout.write('0:1:00:0:1:14:92007:x.yml:11:00:')\n";
    fs::permissions(bin / "eslaunch-check", fs::perms(0755));
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    auto r = run_command({(bin / "eslaunch").string(), write_spec(home, "file:" + pass_)}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    std::ifstream in(helper_record);
    ASSERT_TRUE(in) << "the stand-in for eslaunch-check did not run";
    const json fds = json::parse(in);
    EXPECT_EQ(fds["0"], "/dev/null");
    for (const auto& [fd, target] : fds.items()) EXPECT_NE(target, pass_) << "fd " << fd;
    EXPECT_EQ(record()["keystore"], "unlocked");
}

const json* finding(const json& j, const std::string& id) {
    for (const auto& f : j["findings"]) {
        if (f["id"] == id) return &f;
    }
    return nullptr;
}

// check runs bin/elasticsearch-keystore has-passwd as the node's user.
TEST_F(Stdin, CheckSaysWhetherTheKeystoreNeedsAPassphraseAndGetsOne) {
    const std::string home = make_home(std::string{"passphrase:"} + secret);
    json j = check_json(write_spec(home, ""), 78);
    const json* f = finding(j, "keystore-passphrase");
    ASSERT_NE(f, nullptr) << j.dump();
    EXPECT_EQ((*f)["severity"], "error");
    EXPECT_THAT((*f)["message"].get<std::string>(),
                HasSubstr(home + "/config/elasticsearch.keystore is password-protected and stdin= gives no passphrase"));
    EXPECT_THAT((*f)["fix"].get<std::string>(), HasSubstr("stdin=file:PATH"));
    EXPECT_EQ(j["preflight"]["keystore"], home + "/config/elasticsearch.keystore: password-protected; stdin=null");

    j = check_json(write_spec(home, "file:" + pass_), 0);
    EXPECT_EQ(finding(j, "keystore-passphrase"), nullptr) << j.dump();
    EXPECT_EQ(finding(j, "stdin"), nullptr) << j.dump();
    EXPECT_EQ(j["preflight"]["keystore"],
              home + "/config/elasticsearch.keystore: password-protected; stdin=file:" + pass_);
    auto text = run_eslaunch({"check", write_spec(home, "file:" + pass_)}, base_env);
    EXPECT_THAT(text.out, HasSubstr("  keystore: " + home + "/config/elasticsearch.keystore: password-protected"));

    // A passphrase without a newline: the 7.x script's `read` would fail.
    write_pass(secret);
    j = check_json(write_spec(home, "file:" + pass_), 0);
    f = finding(j, "stdin");
    ASSERT_NE(f, nullptr) << j.dump();
    EXPECT_EQ((*f)["severity"], "warning");
    EXPECT_THAT((*f)["message"].get<std::string>(), HasSubstr("does not end with a newline"));
}

// check asks OpenSearch's own tool, bin/opensearch-keystore, as the node's
// user; 2.14+ may take the passphrase from KEYSTORE_PASSWORD instead.
TEST_F(Stdin, CheckAsksOpenSearchsKeystoreTool) {
    const std::string home = make_home(std::string{"passphrase:"} + secret, "opensearch-2.19.1");
    const std::string keystore = home + "/config/opensearch.keystore";
    json j = check_json(write_spec(home, ""), 78);
    const json* f = finding(j, "keystore-passphrase");
    ASSERT_NE(f, nullptr) << j.dump();
    EXPECT_EQ((*f)["severity"], "error");
    EXPECT_THAT((*f)["message"].get<std::string>(),
                HasSubstr(keystore + " is password-protected and stdin= gives no passphrase"));
    EXPECT_EQ(j["preflight"]["product"], "opensearch");

    j = check_json(write_spec(home, "file:" + pass_), 0);
    EXPECT_EQ(j["preflight"]["keystore"], keystore + ": password-protected; stdin=file:" + pass_) << j.dump();
    j = check_json(write_spec(home, "", {}, ",FAKE_ES_EXIT=\"1\",KEYSTORE_PASSWORD=\"" + std::string{secret} + "\""), 0);
    EXPECT_EQ(j["preflight"]["keystore"], keystore + ": password-protected; KEYSTORE_PASSWORD in environment=")
        << j.dump();
}

TEST_F(Stdin, CheckWarnsOfAPassphraseForAKeystoreWithoutOne) {
    const std::string home = make_home("plain");
    const json j = check_json(write_spec(home, "file:" + pass_), 0);
    const json* f = finding(j, "keystore-passphrase");
    ASSERT_NE(f, nullptr) << j.dump();
    EXPECT_EQ((*f)["severity"], "warning");
    EXPECT_THAT((*f)["message"].get<std::string>(), HasSubstr("is not password-protected: nothing reads it"));
    EXPECT_EQ((*f)["where"], dir_.string() + "/spec.ini:4");
}

}  // namespace
}  // namespace eslaunch::testing

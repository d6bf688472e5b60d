// Writes fuzz_spec's seed corpus: make_corpus OUT_DIR [SOURCE_ROOT]
//
//   case-NNN-NAME     one file per entry of eslaunch::testing::spec_cases()
//   example-FILE      SOURCE_ROOT/examples/*.ini and *.conf, when given
//   value-XX-NNN      a value of those files (and a few more), prefixed with
//                     the selector byte XX that sends it to its value parser
//                     in fuzz_spec.cpp; also whole files for --program
//
// OUT_DIR is created if missing; files already in it are overwritten.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "eslaunch/ini.hpp"
#include "spec_cases.hpp"

namespace fs = std::filesystem;

namespace {

// Keep in step with the selectors of fuzz_spec.cpp.
constexpr char sel_split_command = 0x01;
constexpr char sel_environment = 0x02;
constexpr char sel_limit = 0x03;
constexpr char sel_heap_size = 0x04;
constexpr char sel_duration = 0x05;
constexpr char sel_ready = 0x06;
constexpr char sel_status_list = 0x07;
constexpr char sel_misc_values = 0x08;
constexpr char sel_spec_program = 0x0b;

const std::map<std::string_view, char> selector_of_key = {
    {"command", sel_split_command},
    {"environment", sel_environment},
    {"limit_nofile", sel_limit},
    {"limit_nproc", sel_limit},
    {"limit_memlock", sel_limit},
    {"limit_as", sel_limit},
    {"limit_fsize", sel_limit},
    {"limit_core", sel_limit},
    {"heap_size", sel_heap_size},
    {"ready_timeout", sel_duration},
    {"ready_interval", sel_duration},
    {"ready", sel_ready},
    {"ready_expect", sel_status_list},
    {"umask", sel_misc_values},
    {"user", sel_misc_values},
    {"group", sel_misc_values},
    {"heap_via", sel_misc_values},
    {"watchdog", sel_misc_values},
    {"allow_root", sel_misc_values},
};

// Values the cases may not hold, one or two per branch of each parser.
const std::vector<std::pair<char, std::string_view>> extra_values = {
    {sel_split_command, "/bin/sh -c 'exec \"$0\" \"$@\"' a\\ b \"c\\\"d\" ''"},
    {sel_split_command, "/usr/bin/env\tA=1\nB='x y' \"\\\\\" \\'"},
    {sel_split_command, "unclosed \"quote"},
    {sel_environment, "A=1,B=\"two words\",C='say \"hi\"',D=/x:/y"},
    {sel_environment, "JAVA_HOME=\"/usr/lib/jvm/jre\",\n  ES_JAVA_OPTS=\"-Xms1g -Xmx1g\""},
    {sel_environment, "A=\"x\\\",B=1"},
    {sel_limit, "65535"},
    {sel_limit, "1024:4096"},
    {sel_limit, "infinity"},
    {sel_limit, "8G:infinity"},
    {sel_limit, "16E"},
    {sel_heap_size, "24g"},
    {sel_heap_size, "31744m"},
    {sel_heap_size, "50%"},
    {sel_heap_size, "auto"},
    {sel_heap_size, "8388607t"},
    {sel_duration, "500ms"},
    {sel_duration, "90s"},
    {sel_duration, "15min"},
    {sel_duration, "2h"},
    {sel_duration, "infinity"},
    {sel_duration, "876000h"},
    {sel_ready, "none"},
    {sel_ready, "native"},
    {sel_ready, "tcp://127.0.0.1:9300"},
    {sel_ready, "http://localhost:9200/_cluster/health?local=true"},
    {sel_ready, "https://[::1]:9200/"},
    {sel_ready, "exec:/usr/bin/curl -fsS 'http://127.0.0.1:9200/'"},
    {sel_status_list, "200,401"},
    {sel_status_list, "200-299,401,500-599"},
    {sel_misc_values, "022"},
    {sel_misc_values, "work"},
    {sel_misc_values, "1000"},
    {sel_misc_values, "env:ES_JAVA_OPTS"},
    {sel_misc_values, "yes"},
};

std::string safe_name(std::string_view name) {
    std::string out;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.';
        out += ok ? c : '_';
        if (out.size() >= 60) break;
    }
    return out.empty() ? std::string{"unnamed"} : out;
}

std::string numbered(std::string_view prefix, std::size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%03zu", n);
    return std::string{prefix} + buf;
}

class Writer {
public:
    explicit Writer(fs::path dir) : dir_(std::move(dir)) {}

    bool write(const std::string& name, std::string_view content) {
        std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.close();
        if (!out) {
            std::fprintf(stderr, "make_corpus: cannot write %s\n", (dir_ / name).c_str());
            return false;
        }
        ++written_;
        return true;
    }

    // A value seed: the selector byte, then the value; each distinct one once.
    bool value(char selector, std::string_view text) {
        std::string content(1, selector);
        content += text;
        if (!values_.insert(content).second) return true;
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "value-%02x-", static_cast<unsigned>(selector));
        return write(numbered(prefix, values_.size()), content);
    }

    // The values of a spec file, each sent to its parser; the whole file again
    // with --program when it has [program:elasticsearch].
    bool values_of(std::string_view text) {
        bool ok = true;
        if (text.find("[program:elasticsearch]") != std::string_view::npos) {
            ok = value(sel_spec_program, text) && ok;
        }
        auto ini = eslaunch::parse_ini(text, "/etc/eslaunch/corpus.ini");
        if (!ini) return ok;
        for (const auto& section : ini->sections) {
            for (const auto& entry : section.entries) {
                auto it = selector_of_key.find(entry.key);
                if (it != selector_of_key.end() && !entry.value.text.empty()) {
                    ok = value(it->second, entry.value.text) && ok;
                }
            }
        }
        return ok;
    }

    [[nodiscard]] std::size_t written() const { return written_; }

private:
    fs::path dir_;
    std::set<std::string> values_;
    std::size_t written_ = 0;
};

bool read_file(const fs::path& p, std::string& out) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: make_corpus OUT_DIR [SOURCE_ROOT]\n");
        return 64;
    }
    const fs::path out_dir = argv[1];
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
        std::fprintf(stderr, "make_corpus: cannot create %s: %s\n", out_dir.c_str(), ec.message().c_str());
        return 73;
    }
    Writer writer{out_dir};
    bool ok = true;

    const auto& cases = eslaunch::testing::spec_cases();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        ok = writer.write(numbered("case-", i + 1) + "-" + safe_name(cases[i].name), cases[i].text) && ok;
        ok = writer.values_of(cases[i].text) && ok;
    }

    std::size_t examples = 0;
    if (argc == 3) {
        const fs::path dir = fs::path{argv[2]} / "examples";
        std::vector<fs::path> files;
        for (fs::directory_iterator it{dir, ec}, end; !ec && it != end; it.increment(ec)) {
            const auto ext = it->path().extension();
            if ((ext == ".ini" || ext == ".conf") && it->is_regular_file()) files.push_back(it->path());
        }
        if (ec) {
            std::fprintf(stderr, "make_corpus: cannot list %s: %s\n", dir.c_str(), ec.message().c_str());
            return 66;
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            std::string text;
            if (!read_file(f, text)) {
                std::fprintf(stderr, "make_corpus: cannot read %s\n", f.c_str());
                ok = false;
                continue;
            }
            ok = writer.write("example-" + safe_name(f.filename().string()), text) && ok;
            ok = writer.values_of(text) && ok;
            ++examples;
        }
    }

    for (const auto& [selector, text] : extra_values) ok = writer.value(selector, text) && ok;

    std::printf("make_corpus: %zu files in %s (%zu spec cases, %zu examples)\n", writer.written(), out_dir.c_str(),
                cases.size(), examples);
    return ok ? 0 : 74;
}

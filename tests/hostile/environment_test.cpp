// Finding 5: a huge environment (in the spec, or inherited) must cost linear
// time. Compared as a ratio of CPU time between a large and a tenth-sized
// input, not as a timing: linear work grows about tenfold (less, with the
// fixed cost of a start), quadratic work a hundredfold (3.1 s for check of
// 50,000 variables before the fix, on this project's 2-core machine).
#include <gmock/gmock.h>

#include <cstdio>

#include "hostile.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;

constexpr double most_growth = 25.0;  // for ten times the input

// environment=V0=1,V1=1,...: names in hex keep 100,000 of them under 1 MiB.
std::string variables(int count) {
    std::string out;
    char buf[32];
    for (int i = 0; i < count; ++i) {
        std::snprintf(buf, sizeof buf, "%sV%x=1", i == 0 ? "" : ",", i);
        out += buf;
    }
    return out;
}

class HugeEnvironment : public ::testing::Test {
protected:
    void SetUp() override {
        HOSTILE_REQUIRE_ROOT();
        dir_ = make_launch_dir("env");
        ASSERT_FALSE(dir_.empty());
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    // CPU time of `eslaunch ARGS...` on a spec with `count` variables, which
    // must succeed.
    std::chrono::milliseconds cpu_of(const std::vector<std::string>& args, int spec_vars, int inherited) {
        const fs::path spec = dir_ / ("spec-" + std::to_string(spec_vars) + ".ini");
        write_file(spec, "[program:x]\ncommand=/bin/true\nallow_root=true\n" +
                             (spec_vars > 0 ? "environment=" + variables(spec_vars) + "\n" : std::string{}));
        std::vector<std::string> env = {"PATH=/usr/bin:/bin"};
        for (int i = 0; i < inherited; ++i) env.push_back("I" + std::to_string(i) + "=1");
        std::vector<std::string> command{eslaunch_binary()};
        command.insert(command.end(), args.begin(), args.end());
        command.push_back(spec.string());
        const Usage u = run_measured(command, env, std::chrono::seconds{120});
        EXPECT_EQ(u.status, 0) << u.err;
        return u.cpu + std::chrono::milliseconds{1};
    }
    fs::path dir_;
};

TEST_F(HugeEnvironment, CheckOfFiftyThousandSpecVariablesIsLinear) {
    const auto small = cpu_of({"check"}, 5'000, 0);
    const auto large = cpu_of({"check"}, 50'000, 0);
    EXPECT_LT(static_cast<double>(large.count()) / static_cast<double>(small.count()), most_growth)
        << "5,000 variables: " << small.count() << " ms of CPU, 50,000: " << large.count() << " ms";
}

TEST_F(HugeEnvironment, LaunchWithHundredThousandSpecOrInheritedVariablesIsLinear) {
    const auto spec_small = cpu_of({}, 10'000, 0);
    const auto spec_large = cpu_of({}, 100'000, 0);
    EXPECT_LT(static_cast<double>(spec_large.count()) / static_cast<double>(spec_small.count()), most_growth)
        << "10,000 spec variables: " << spec_small.count() << " ms, 100,000: " << spec_large.count() << " ms";
    const auto inherited_small = cpu_of({}, 0, 10'000);
    const auto inherited_large = cpu_of({}, 0, 100'000);
    EXPECT_LT(static_cast<double>(inherited_large.count()) / static_cast<double>(inherited_small.count()), most_growth)
        << "10,000 inherited: " << inherited_small.count() << " ms, 100,000: " << inherited_large.count() << " ms";
}

}  // namespace
}  // namespace eslaunch::testing

// `eslaunch check --cluster NODE.yml...`: the elasticsearch.yml (or
// OpenSearch's opensearch.yml) of every node of one cluster, read together. A cluster is only as safe as its
// settings on every node: the quorum of master-eligible nodes, zen's
// minimum_master_nodes (up to 6.x), 7.x's initial_master_nodes and seed
// hosts, one cluster.name, unique node names. Pure: settings in, report out.
#pragma once

#include <string>
#include <vector>

#include "eslaunch/es_config.hpp"
#include "eslaunch/finding.hpp"

namespace eslaunch {

struct ClusterNode {
    std::string file;
    std::string name;      // node.name; empty when not set
    std::string address;   // the transport address it is known by, e.g. 10.0.0.1 or 10.0.0.1:9301; empty unknown
    std::vector<std::string> roles;  // node.roles, or what node.master / node.data / node.ingest say
    bool master_eligible = true;
    std::string product;   // "elasticsearch" or "opensearch": the file's name, else its settings say
    std::string version;   // the version family its settings belong to: "2.x", "5.x-6.x", "7.9+", "unknown", ...;
                           // OpenSearch's: "1.0+", or "2.0+" with 2.0's cluster_manager names
};

struct ClusterReport {
    std::string cluster_name;  // the one most nodes have
    std::string product;       // "elasticsearch", "opensearch" or "mixed" (an error)
    std::vector<ClusterNode> nodes;
    int master_eligible = 0;
    int quorum = 0;     // floor(master_eligible / 2) + 1
    int tolerated = 0;  // master-eligible nodes the cluster can lose and still elect a master
    std::string discovery;  // "zen" (up to 6.x), "7.x+", "mixed", "unknown"
    std::vector<Finding> findings;  // errors first
    [[nodiscard]] int errors() const;
    [[nodiscard]] int warnings() const;
};

// Each node's settings, read from its file (EsSettings::file names it).
[[nodiscard]] ClusterReport check_cluster(const std::vector<EsSettings>& nodes);

}  // namespace eslaunch

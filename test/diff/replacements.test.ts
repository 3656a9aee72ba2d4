/**
 * The replacement table, row by row: which input changes replace a resource, which update in place.
 */
import { describe, expect, it } from "vitest";
import { cidrContains } from "../../src/review/diff/cidr.js";
import { pathMatches, readPath, replacementReasons, replacementRules, rulesFor } from "../../src/review/diff/replacements.js";

const replaces = (type: string, path: string, oldValue: unknown, newValue: unknown): boolean => {
  const set = (v: unknown) => path.split(".").reduceRight<unknown>((acc, key) => ({ [key]: acc }), v) as Record<string, unknown>;
  return replacementReasons(type, [path], set(oldValue), set(newValue)).length > 0;
};

const sql = "gcp:sql/databaseInstance:DatabaseInstance";
const gke = "gcp:container/cluster:Cluster";
const pool = "gcp:container/nodePool:NodePool";
const subnet = "gcp:compute/subnetwork:Subnetwork";
const redis = "gcp:redis/instance:Instance";
const bucket = "gcp:storage/bucket:Bucket";

describe("replacement table", () => {
  it.each([
    // [type, path, old, new, replaces?]
    [sql, "name", "a", "b", true],
    [sql, "region", "europe-west1", "europe-west4", true],
    [sql, "databaseVersion", "POSTGRES_15", "MYSQL_8_0", true],
    [sql, "databaseVersion", "POSTGRES_15", "POSTGRES_16", false],
    [sql, "settings.tier", "db-custom-1-3840", "db-custom-2-7680", false],
    [sql, "settings.availabilityType", "ZONAL", "REGIONAL", false],
    // gcp-review 2: disks grow in place, never shrink.
    [sql, "settings.diskSize", 100, 250, false],
    [sql, "settings.diskSize", 250, 100, true],
    [gke, "location", "europe-west1", "europe-west4", true],
    [gke, "name", "a", "b", true],
    [gke, "privateClusterConfig.masterIpv4CidrBlock", "172.16.0.0/28", "172.16.0.16/28", true],
    [gke, "ipAllocationPolicy.clusterSecondaryRangeName", "pods", "pods2", true],
    [gke, "releaseChannel.channel", "REGULAR", "STABLE", false],
    [pool, "nodeConfig.machineType", "e2-standard-2", "e2-standard-4", false],
    [pool, "nodeConfig.spot", false, true, true],
    [pool, "autoscaling.maxNodeCount", 3, 5, false],
    [subnet, "ipCidrRange", "10.0.0.0/20", "10.0.0.0/19", false],
    [subnet, "ipCidrRange", "10.0.0.0/20", "10.0.0.0/21", true],
    [subnet, "ipCidrRange", "10.0.0.0/20", "10.1.0.0/20", true],
    [subnet, "name", "a", "b", true],
    // Regional forwarding rules and backend services (generic rows).
    ["gcp:compute/forwardingRule:ForwardingRule", "ports", ["80", "443"], ["443"], true],
    ["gcp:compute/forwardingRule:ForwardingRule", "ipAddress", "203.0.113.4", "203.0.113.5", true],
    ["gcp:compute/forwardingRule:ForwardingRule", "labels.team", "a", "b", false],
    ["gcp:compute/regionBackendService:RegionBackendService", "backends", [{ group: "blue" }], [{ group: "green" }], false],
    ["gcp:compute/regionBackendService:RegionBackendService", "loadBalancingScheme", "EXTERNAL", "INTERNAL", true],
    // The machine groups' Application Load Balancer: the blue/green switch (capacityScaler) and a
    // new certificate on the proxy update in place; the address, ports and scheme of a rule do not.
    ["gcp:compute/backendService:BackendService", "backends[0].capacityScaler", 1, 0, false],
    ["gcp:compute/backendService:BackendService", "loadBalancingScheme", "EXTERNAL", "EXTERNAL_MANAGED", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "ipAddress", "203.0.113.4", "203.0.113.5", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "portRange", "443", "8443", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "loadBalancingScheme", "EXTERNAL", "EXTERNAL_MANAGED", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "ipProtocol", "TCP", "UDP", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "name", "a", "b", true],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "target", "proxy-a", "proxy-b", false],
    ["gcp:compute/globalForwardingRule:GlobalForwardingRule", "labels.team", "a", "b", false],
    ["gcp:compute/targetHttpsProxy:TargetHttpsProxy", "name", "a", "b", true],
    ["gcp:compute/targetHttpsProxy:TargetHttpsProxy", "sslCertificates", ["cert-1"], ["cert-2"], false],
    ["gcp:compute/targetHttpsProxy:TargetHttpsProxy", "sslPolicy", "p1", "p2", false],
    ["gcp:compute/targetHttpProxy:TargetHttpProxy", "name", "a", "b", true],
    ["gcp:compute/uRLMap:URLMap", "name", "a", "b", true],
    ["gcp:compute/uRLMap:URLMap", "hostRules", [{ hosts: ["a"] }], [{ hosts: ["a", "b"] }], false],
    ["gcp:compute/sSLPolicy:SSLPolicy", "minTlsVersion", "TLS_1_2", "TLS_1_3", false],
    ["gcp:compute/managedSslCertificate:ManagedSslCertificate", "managed.domains", ["a.example.com"], ["a.example.com", "b.example.com"], true],
    ["gcp:compute/managedSslCertificate:ManagedSslCertificate", "name", "cert-1", "cert-2", true],
    ["gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "versions", [{ name: "a" }], [{ name: "b" }], false],
    ["gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "distributionPolicyZones", ["a"], ["b"], true],
    ["gcp:dns/recordSet:RecordSet", "rrdatas", ["203.0.113.4"], ["203.0.113.5"], false],
    ["gcp:dns/recordSet:RecordSet", "name", "a.example.com.", "b.example.com.", true],
    [subnet, "region", "europe-west1", "europe-west4", true],
    [subnet, "network", "n1", "n2", true],
    [subnet, "privateIpGoogleAccess", false, true, false],
    [redis, "name", "a", "b", true],
    [redis, "tier", "BASIC", "STANDARD_HA", true],
    [redis, "region", "europe-west1", "europe-west4", true],
    [redis, "connectMode", "DIRECT_PEERING", "PRIVATE_SERVICE_ACCESS", true],
    [redis, "authorizedNetwork", "n1", "n2", true],
    [redis, "memorySizeGb", 1, 5, false],
    [bucket, "name", "a", "b", true],
    [bucket, "location", "EU", "US", true],
    [bucket, "storageClass", "STANDARD", "NEARLINE", false],
    ["gcp:kms/keyRing:KeyRing", "name", "a", "b", true],
    ["gcp:kms/keyRing:KeyRing", "location", "europe-west1", "europe-west4", true],
    ["gcp:kms/cryptoKey:CryptoKey", "name", "a", "b", true],
    ["gcp:kms/cryptoKey:CryptoKey", "rotationPeriod", "7776000s", "2592000s", false],
    ["gcp:compute/instanceTemplate:InstanceTemplate", "machineType", "e2-small", "e2-medium", true],
    ["gcp:compute/instanceTemplate:InstanceTemplate", "labels.team", "a", "b", true],
    ["gcp:compute/disk:Disk", "size", 10, 20, false],
    ["gcp:compute/disk:Disk", "size", 20, 10, true],
    ["gcp:projects/iAMMember:IAMMember", "role", "roles/viewer", "roles/editor", true],
    ["random:index/randomPassword:RandomPassword", "length", 24, 32, true],
    ["kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app", "a", "b", true],
    ["kubernetes:apps/v1:Deployment", "spec.replicas", 1, 2, false],
    ["kubernetes:core/v1:Service", "metadata.name", "a", "b", true],
    ["gcp:pubsub/topic:Topic", "project", "p1", "p2", true],
    ["gcp:unlisted/thing:Thing", "project", "p1", "p2", true],
    ["gcp:unlisted/thing:Thing", "labels.a", "x", "y", false],
  ] as const)("%s %s: %j → %j replaces = %s", (type, path, oldValue, newValue, expected) => {
    expect(replaces(type, path, oldValue, newValue)).toBe(expected);
  });

  it("gives every table row a reason", () => {
    for (const [type, rules] of Object.entries(replacementRules)) {
      expect(rules.length, type).toBeGreaterThan(0);
      for (const rule of rules) expect(rule.reason.length, `${type} ${rule.path}`).toBeGreaterThan(10);
    }
    expect(rulesFor("kubernetes:core/v1:ConfigMap").map((r) => r.path)).toEqual(["metadata.name", "metadata.namespace"]);
    expect(rulesFor("docker:index/image:Image")).toEqual([]);
  });

  it("matches paths at and under a rule, reads paths with indexes", () => {
    expect(pathMatches("nodeConfig", "nodeConfig.machineType")).toBe(true);
    expect(pathMatches("nodeConfig", "nodeConfigs")).toBe(false);
    expect(pathMatches("subnetworks", "subnetworks[0].name")).toBe(true);
    expect(readPath({ a: [{ b: 1 }, { b: 2 }] }, "a[1].b")).toBe(2);
    expect(readPath({ a: 1 }, "a.b.c")).toBeUndefined();
  });

  it("knows CIDR containment", () => {
    expect(cidrContains("10.0.0.0/19", "10.0.0.0/20")).toBe(true);
    expect(cidrContains("10.0.0.0/20", "10.0.16.0/20")).toBe(false);
    expect(cidrContains("10.0.0.0/21", "10.0.0.0/20")).toBe(false);
    expect(cidrContains("nonsense", "10.0.0.0/20")).toBe(false);
  });
});

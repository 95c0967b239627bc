import { describe, expect, it } from "vitest";
import { clusterLayout, clusterNodeProperties } from "../kafka-cluster.ts";
import { stackConfig } from "../config.ts";

const config = stackConfig("/repo", {});
const layout = clusterLayout(config.kafka, config.stackDir);

function properties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("=") && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

describe("clusterNodeProperties", () => {
  it("gives three nodes their own ids, ports and data directories under .stack/cluster3", () => {
    expect(layout.brokers).toEqual(["127.0.0.1:19192", "127.0.0.1:19194", "127.0.0.1:19196"]);
    expect(layout.nodes.map((n) => [n.nodeId, n.port, n.controllerPort, n.dataDir])).toEqual([
      [1, 19192, 19193, "/repo/.stack/cluster3/node-1/data"],
      [2, 19194, 19195, "/repo/.stack/cluster3/node-2/data"],
      [3, 19196, 19197, "/repo/.stack/cluster3/node-3/data"],
    ]);
  });

  it("makes every node a voter of one static three-voter quorum", () => {
    const node = layout.nodes[1];
    if (node === undefined) throw new Error("no node 2");
    const p = properties(clusterNodeProperties(layout, node));
    expect(p).toMatchObject({
      "process.roles": "broker,controller",
      "node.id": "2",
      "controller.quorum.voters": "1@127.0.0.1:19193,2@127.0.0.1:19195,3@127.0.0.1:19197",
      listeners: "PLAINTEXT://127.0.0.1:19194,CONTROLLER://127.0.0.1:19195",
      "advertised.listeners": "PLAINTEXT://127.0.0.1:19194,CONTROLLER://127.0.0.1:19195",
      "log.dirs": "/repo/.stack/cluster3/node-2/data",
    });
    // The static form and the dynamic one exclude each other.
    expect(p["controller.quorum.bootstrap.servers"]).toBeUndefined();
  });

  it("replicates the internal topics to all three brokers, two in sync", () => {
    const node = layout.nodes[0];
    if (node === undefined) throw new Error("no node 1");
    expect(properties(clusterNodeProperties(layout, node))).toMatchObject({
      "offsets.topic.replication.factor": "3",
      "transaction.state.log.replication.factor": "3",
      "transaction.state.log.min.isr": "2",
      "share.coordinator.state.topic.replication.factor": "3",
      "share.coordinator.state.topic.min.isr": "2",
      "auto.create.topics.enable": "false",
    });
  });

  it("makes every node of a secure cluster SASL_SSL between brokers, mTLS between controllers, one quorum", () => {
    const secure = clusterLayout(config.kafka, config.stackDir, 3, undefined, {
      caFile: "/repo/.stack/secure/ca/ca.crt",
      keystorePem: "PEM",
      admin: { username: "admin", passwordFile: "/repo/.stack/secure/secrets/kafka-admin" },
      adminPassword: "s3cret",
    });
    expect(secure.brokers).toEqual(["localhost:19192", "localhost:19194", "localhost:19196"]);
    const node = secure.nodes[2];
    if (node === undefined) throw new Error("no node 3");
    const text = clusterNodeProperties(secure, node);
    expect(properties(text)).toMatchObject({
      "node.id": "3",
      "controller.quorum.voters": "1@127.0.0.1:19193,2@127.0.0.1:19195,3@127.0.0.1:19197",
      listeners: "SASL_SSL://127.0.0.1:19196,CONTROLLER://127.0.0.1:19197",
      "inter.broker.listener.name": "SASL_SSL",
      "listener.security.protocol.map": "CONTROLLER:SSL,SASL_SSL:SASL_SSL",
      "listener.name.controller.ssl.client.auth": "required",
      "ssl.keystore.location": "/repo/.stack/cluster3/node-3/keystore.pem",
      "allow.everyone.if.no.acl.found": "false",
      "offsets.topic.replication.factor": "3",
    });
    expect(text).not.toMatch(/PLAINTEXT:\/\//);
  });
});

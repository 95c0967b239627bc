import { describe, expect, it } from "vitest";
import { stackConfig } from "../config.ts";
import { serverProperties } from "../kafka.ts";
import { regionClusterLayout, regionServerProperties } from "../kafka-regions.ts";

const config = stackConfig("/repo", {});

/** The value of one `key=value` line of a server.properties text. */
const setting = (text: string, key: string): string | undefined =>
  text
    .split("\n")
    .find((l) => l.startsWith(`${key}=`))
    ?.slice(key.length + 1);

describe("regionClusterLayout", () => {
  it("gives each region a broker on 19292 + 2i, its controller above, data under .stack/kafka-regions", () => {
    const layout = regionClusterLayout(config, [
      { id: "us-east" },
      { id: "eu-west" },
      { id: "ap-south" },
    ]);
    expect(layout.map((c) => [c.broker, c.kafka.controllerPort, c.kafka.dataDir])).toEqual([
      ["127.0.0.1:19292", 19293, "/repo/.stack/kafka-regions/us-east/data"],
      ["127.0.0.1:19294", 19295, "/repo/.stack/kafka-regions/eu-west/data"],
      ["127.0.0.1:19296", 19297, "/repo/.stack/kafka-regions/ap-south/data"],
    ]);
  });
});

describe("regionServerProperties", () => {
  it("is the dev broker's settings on the cluster's own ports when it has no extra listener", () => {
    const [cluster] = regionClusterLayout(config, [{ id: "us-east" }]);
    if (cluster === undefined) throw new Error("no cluster");
    expect(regionServerProperties(cluster)).toBe(serverProperties(cluster.kafka));
    expect(setting(regionServerProperties(cluster), "listeners")).toBe(
      "PLAINTEXT://127.0.0.1:19292,CONTROLLER://127.0.0.1:19293",
    );
  });

  it("adds a delayed listener that advertises the proxy's port, not its own", () => {
    const [cluster] = regionClusterLayout(config, [
      {
        id: "eu-west",
        listeners: [{ name: "FROM_US_EAST", port: 19310, advertisedPort: 19410 }],
      },
    ]);
    if (cluster === undefined) throw new Error("no cluster");
    const p = regionServerProperties(cluster);
    expect(setting(p, "listeners")).toBe(
      "PLAINTEXT://127.0.0.1:19292,CONTROLLER://127.0.0.1:19293,FROM_US_EAST://127.0.0.1:19310",
    );
    expect(setting(p, "advertised.listeners")).toContain("FROM_US_EAST://127.0.0.1:19410");
    expect(setting(p, "listener.security.protocol.map")).toContain("FROM_US_EAST:PLAINTEXT");
    // The brokers' own traffic stays on PLAINTEXT: only clients go through the proxy.
    expect(setting(p, "inter.broker.listener.name")).toBe("PLAINTEXT");
  });

  const materials = {
    caFile: "/repo/.stack/secure/ca/ca.crt",
    keystorePem: "PEM",
    admin: { username: "admin", passwordFile: "/repo/.stack/secure/secrets/kafka-admin" },
    adminPassword: "s3cret",
  };

  it("makes a secure cluster SASL_SSL only on its own ports, with ACLs, and clients reach it as localhost", () => {
    const [, cluster] = regionClusterLayout(
      config,
      [{ id: "us-east" }, { id: "eu-west" }],
      undefined,
      materials,
    );
    if (cluster === undefined) throw new Error("no cluster");
    expect(cluster.broker).toBe("localhost:19294");
    const p = regionServerProperties(cluster);
    expect(setting(p, "listeners")).toBe("SASL_SSL://127.0.0.1:19294,CONTROLLER://127.0.0.1:19295");
    expect(setting(p, "listener.security.protocol.map")).toBe("CONTROLLER:SSL,SASL_SSL:SASL_SSL");
    expect(setting(p, "allow.everyone.if.no.acl.found")).toBe("false");
    expect(setting(p, "ssl.keystore.location")).toBe(
      "/repo/.stack/kafka-regions/eu-west/keystore.pem",
    );
    expect(p).not.toMatch(/PLAINTEXT:\/\//);
  });

  it("refuses extra (plaintext) listeners on a secure cluster", () => {
    expect(() =>
      regionClusterLayout(
        config,
        [
          {
            id: "eu-west",
            listeners: [{ name: "FROM_US_EAST", port: 19310, advertisedPort: 19410 }],
          },
        ],
        undefined,
        materials,
      ),
    ).toThrow(/no extra listeners/);
  });
});

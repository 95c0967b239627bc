import { describe, expect, it } from "vitest";
import { stackConfig } from "../config.ts";
import { serverProperties } from "../kafka.ts";
import {
  adminClientProperties,
  overrideProperties,
  secureKafkaLayout,
  secureServerProperties,
} from "../kafka-secure.ts";

const layout = secureKafkaLayout(stackConfig("/repo", {}));
const text = secureServerProperties(
  layout,
  {
    caFile: "/repo/.stack/secure/ca/ca.crt",
    keystoreFile: "/repo/.stack/secure/kafka/keystore.pem",
  },
  "s3cret",
);

/** Every `key=value` line of a server.properties text. */
const settings = (t: string): Map<string, string> =>
  new Map(
    t
      .split("\n")
      .filter((l) => l.includes("=") && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );

describe("secureServerProperties", () => {
  const s = settings(text);

  it("has one client listener, SASL_SSL on 19392 advertised as localhost, and an mTLS controller", () => {
    expect(s.get("listeners")).toBe("SASL_SSL://127.0.0.1:19392,CONTROLLER://127.0.0.1:19393");
    expect(s.get("advertised.listeners")).toBe(
      "SASL_SSL://localhost:19392,CONTROLLER://127.0.0.1:19393",
    );
    expect(s.get("listener.security.protocol.map")).toBe("CONTROLLER:SSL,SASL_SSL:SASL_SSL");
    expect(s.get("listener.name.controller.ssl.client.auth")).toBe("required");
    expect(text).not.toMatch(/PLAINTEXT:\/\//);
  });

  it("enables SCRAM-SHA-512 only and the StandardAuthorizer, denying what no ACL allows", () => {
    expect(s.get("sasl.enabled.mechanisms")).toBe("SCRAM-SHA-512");
    expect(s.get("authorizer.class.name")).toBe(
      "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    );
    expect(s.get("allow.everyone.if.no.acl.found")).toBe("false");
    expect(s.get("super.users")).toBe("User:admin;User:CN=kafka");
  });

  it("keeps every other setting of the dev broker, on the secure broker's directory", () => {
    const plain = settings(serverProperties(layout.kafka));
    for (const [key, value] of plain)
      if (
        ![
          "listeners",
          "advertised.listeners",
          "inter.broker.listener.name",
          "listener.security.protocol.map",
        ].includes(key)
      )
        expect(s.get(key), key).toBe(value);
    expect(s.get("log.dirs")).toBe("/repo/.stack/secure/kafka/data");
  });

  it("is written by the secure command, once per key", () => {
    expect(text.split("\n")[0]).toContain("pnpm stack secure-kafka up");
    const keys = text
      .split("\n")
      .filter((l) => l.includes("=") && !l.startsWith("#"))
      .map((l) => l.split("=")[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("overrideProperties", () => {
  it("replaces a key in place and appends a new one", () => {
    expect(overrideProperties("# c\na=1\nb=2\n", { b: "3", c: "4" })).toBe("# c\na=1\nb=3\nc=4\n");
  });
});

describe("adminClientProperties", () => {
  it("logs in as the admin over SASL_SSL, trusting the stack's CA", () => {
    const p = settings(adminClientProperties("/ca.crt", "pw"));
    expect(p.get("security.protocol")).toBe("SASL_SSL");
    expect(p.get("sasl.mechanism")).toBe("SCRAM-SHA-512");
    expect(p.get("ssl.truststore.location")).toBe("/ca.crt");
    expect(p.get("sasl.jaas.config")).toContain('username="admin" password="pw"');
  });
});

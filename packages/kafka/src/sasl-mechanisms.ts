// Which SASL mechanisms a broker enables. kafkajs drops the list the broker sends with its
// UNSUPPORTED_SASL_MECHANISM answer, so after such a refusal we ask once more ourselves: one
// SaslHandshake v1 request over TLS, whose answer lists them, then the connection is closed.
import { isIP } from "node:net";
import { connect } from "node:tls";

const SASL_HANDSHAKE = 17;

/** A SaslHandshake v1 request frame (size-prefixed). Pure. */
export function saslHandshakeRequest(mechanism: string, clientId: string): Buffer {
  const str = (s: string): Buffer => {
    const bytes = Buffer.from(s, "utf8");
    const len = Buffer.alloc(2);
    len.writeInt16BE(bytes.length);
    return Buffer.concat([len, bytes]);
  };
  const header = Buffer.alloc(8);
  header.writeInt16BE(SASL_HANDSHAKE, 0);
  header.writeInt16BE(1, 2);
  header.writeInt32BE(1, 4);
  const body = Buffer.concat([header, str(clientId), str(mechanism)]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/**
 * The mechanisms of a SaslHandshake response frame (size-prefixed), or undefined while it is
 * incomplete. Pure.
 * @throws RangeError when the frame is malformed.
 */
export function parseSaslHandshakeResponse(frame: Buffer): string[] | undefined {
  if (frame.length < 4 || frame.length < 4 + frame.readInt32BE(0)) return undefined;
  // size, correlation id, error code, then an array of strings.
  let at = 10;
  const count = frame.readInt32BE(at);
  at += 4;
  const mechanisms: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = frame.readInt16BE(at);
    at += 2;
    if (at + len > frame.length) throw new RangeError("SaslHandshake response cut short");
    mechanisms.push(frame.toString("utf8", at, at + len));
    at += len;
  }
  return mechanisms;
}

/**
 * The SASL mechanisms `broker` ("host:port") enables, asked over TLS checked against `ca`; undefined
 * when it cannot tell within `timeoutMs` (the refusal is reported without the list).
 */
export function brokerSaslMechanisms(
  broker: string,
  ca: string,
  timeoutMs = 3_000,
): Promise<string[] | undefined> {
  const colon = broker.lastIndexOf(":");
  const host = broker.slice(0, colon);
  const port = Number(broker.slice(colon + 1));
  return new Promise((resolve) => {
    const name = isIP(host) === 0 ? { servername: host } : {};
    const socket = connect({ host, port, ca: [ca], rejectUnauthorized: true, ...name }, () => {
      // The mechanism asked for does not matter: every answer lists the enabled ones.
      socket.write(saslHandshakeRequest("GSSAPI", "georep-sasl-probe"));
    });
    let received = Buffer.alloc(0);
    const finish = (result: string[] | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish(undefined);
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const mechanisms = parseSaslHandshakeResponse(received);
        if (mechanisms !== undefined) finish(mechanisms);
      } catch {
        finish(undefined);
      }
    });
    socket.on("error", () => {
      finish(undefined);
    });
    socket.on("close", () => {
      finish(undefined);
    });
  });
}

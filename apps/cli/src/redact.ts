// What an audit row may carry of a command's flags and errors: everything but secrets. A flag
// whose name looks secret loses its value; a URL's password and a `password=…` pair lose theirs
// wherever they appear in a value or a message.

export const REDACTED = "[redacted]";

const SECRET_NAME = /pass|pwd|secret|token|credential|auth|key/i;
// scheme://user:password@host: the userinfo's password, up to the last '@' before the host.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*:)[^\s/?#]*@/gi;
// key=value pairs of libpq connection strings and URL queries: password=…, sslpassword=…, token=…
const SECRET_PAIR =
  /\b([a-z_-]*(?:password|passwd|pwd|secret|token|credential|api[-_]?key|access[-_]?key))=("[^"]*"|'[^']*'|[^\s&;,]+)/gi;

/** `text` with every URL password and secret key=value pair replaced by "[redacted]". */
export function redactText(text: string): string {
  return text.replace(URL_PASSWORD, `$1${REDACTED}@`).replace(SECRET_PAIR, `$1=${REDACTED}`);
}

/**
 * A command's flags as they may be recorded: values of secret-looking names redacted, every
 * string cleaned with `redactText`, nested arrays and objects alike.
 */
export function redactFlags(value: unknown, name = ""): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_NAME.test(name)) return REDACTED;
  if (typeof value === "string") return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactFlags(v));
  if (typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactFlags(v, k)]),
    );
  return value;
}

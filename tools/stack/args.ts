import { createProgram, parseArgv } from "@georep/command-line";
import type { OutputConfiguration } from "@georep/command-line";

export const commands = {
  up: "start (or reuse) PostgreSQL per region, Kafka (KRaft) and Redis; write .stack/endpoints.json",
  down: "stop everything the stack started and check that no process or port is left",
  status: "show whether each part is healthy (exit 1 if any is not)",
} as const;
export const clusterCommands = {
  up: "start a fresh three-broker KRaft cluster on 19192-19197 (.stack/cluster3), for replication tests",
  down: "stop the three-broker cluster",
} as const;
export const secureKafkaCommands = {
  up: "start (or reuse) the secure Kafka broker (SASL_SSL, SCRAM-SHA-512, ACLs) on localhost:19392 (.stack/secure/kafka)",
  down: "stop the secure Kafka broker (its data is kept)",
} as const;
export const secureCommands = {
  up: "start (or reuse) the secure stack: PostgreSQL and Redis/Sentinel with TLS and passwords (.stack/secure)",
  down: "stop the secure stack (certificates, passwords and data are kept)",
  status: "show whether each secure part is healthy (exit 1 if any is not)",
} as const;
export type Command =
  | keyof typeof commands
  | `cluster ${keyof typeof clusterCommands}`
  | `secure-kafka ${keyof typeof secureKafkaCommands}`
  | `secure ${keyof typeof secureCommands}`;

/**
 * `pnpm stack <up | down | status | cluster up | cluster down | secure up | secure down | secure status>`. Pure apart from printing help and errors to `output`.
 * @throws CommanderError, already printed: exit code 0 after --help or `help`, 2 after a usage
 *   error (no command, an unknown one, an extra argument or flag).
 */
export function parseStackArgs(argv: readonly string[], output?: OutputConfiguration): Command {
  const program = createProgram("pnpm stack", {
    description: "The local stack: PostgreSQL per region, Kafka (KRaft) and Redis.",
    ...(output === undefined ? {} : { output }),
  });
  let chosen: Command | undefined;
  for (const [name, description] of Object.entries(commands) as Array<[Command, string]>)
    program
      .command(name)
      .description(description)
      .action(() => {
        chosen = name;
      });
  const cluster = program
    .command("cluster")
    .description("a replicated Kafka cluster next to the stack (docs/stack.md)");
  for (const [name, description] of Object.entries(clusterCommands) as Array<
    [keyof typeof clusterCommands, string]
  >)
    cluster
      .command(name)
      .description(description)
      .action(() => {
        chosen = `cluster ${name}`;
      });
  const secureKafka = program
    .command("secure-kafka")
    .description("the secure Kafka broker, for security tests (docs/stack.md)");
  for (const [name, description] of Object.entries(secureKafkaCommands) as Array<
    [keyof typeof secureKafkaCommands, string]
  >)
    secureKafka
      .command(name)
      .description(description)
      .action(() => {
        chosen = `secure-kafka ${name}`;
      });
  const secure = program
    .command("secure")
    .description(
      "the secure stack beside the plain one: TLS and passwords everywhere (docs/stack.md)",
    );
  for (const [name, description] of Object.entries(secureCommands) as Array<
    [keyof typeof secureCommands, string]
  >)
    secure
      .command(name)
      .description(description)
      .action(() => {
        chosen = `secure ${name}`;
      });
  parseArgv(program, argv);
  // Commander runs an action or throws; this is for the type checker.
  if (chosen === undefined) throw new Error("pnpm stack: no command was chosen");
  return chosen;
}

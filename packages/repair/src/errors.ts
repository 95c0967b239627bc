/** A repair that could not complete; carries the table and the regions involved. */
export class RepairError extends Error {
  override readonly name = "RepairError";
  readonly table: string | undefined;
  readonly source: string | undefined;
  readonly target: string | undefined;
  constructor(
    message: string,
    context: { table?: string; source?: string; target?: string },
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.table = context.table;
    this.source = context.source;
    this.target = context.target;
  }
}

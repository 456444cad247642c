/** A rule of the school's domain said no; `code` says which kind of no. */
export class DomainError extends Error {
  constructor(
    readonly code: "invalid" | "not-found" | "conflict" | "forbidden" | "unauthorised" | "gone",
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

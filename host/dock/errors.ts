// What the dock refuses, as an HTTP status, one line of reason and any fields
// the camera needs to go on (for a wrong offset, how much the dock holds).

export class DockError extends Error {
  constructor(readonly status: number, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "DockError";
  }
}

export const badRequest = (message: string, extra?: Record<string, unknown>): DockError => new DockError(400, message, extra);
export const conflict = (message: string, extra?: Record<string, unknown>): DockError => new DockError(409, message, extra);
export const unprocessable = (message: string, extra?: Record<string, unknown>): DockError => new DockError(422, message, extra);

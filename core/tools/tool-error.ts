/** A failure the model may read and act on (bad input, a refused URL); any other error reads as "the tool failed". */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

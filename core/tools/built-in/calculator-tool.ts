import { z } from 'zod';
import { CalculatorError, evaluateExpression, formatNumber } from '../calculator.ts';
import type { BackendTool } from '../tool.ts';
import { ToolError } from '../tool-error.ts';

const input = z.object({
  expression: z.string().min(1).max(1000).describe('An arithmetic expression, e.g. (2 + 3) * sqrt(16) / 7 or 10!'),
});

/** Exact arithmetic, which models get wrong; parsed by our own parser, never evaluated as code. */
export const calculator: BackendTool<z.infer<typeof input>> = {
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly: + - * / % ^, parentheses, factorial (!), constants pi, e, tau, and functions ' +
    'sqrt, cbrt, abs, floor, ceil, round, trunc, sign, exp, ln, log, log2, log10, sin, cos, tan, asin, acos, atan, atan2, ' +
    'sinh, cosh, tanh, min, max, hypot, pow, mod.',
  input,
  roles: ['admin', 'user'],
  timeoutMs: 1000,
  async run({ expression }) {
    try {
      return { text: formatNumber(evaluateExpression(expression)) };
    } catch (error) {
      if (error instanceof CalculatorError) throw new ToolError(error.message);
      throw error;
    }
  },
};

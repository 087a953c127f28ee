import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CalculatorError, evaluateExpression, formatNumber } from './calculator.ts';

describe('evaluateExpression', () => {
  const cases: [source: string, expected: number][] = [
    // precedence and associativity
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['2 * 3 % 4', 2],
    ['2 ^ 3 ^ 2', 512],
    ['2 ** 3 ** 2', 512],
    ['(2 ^ 3) ^ 2', 64],
    ['2 * 3 ^ 2', 18],
    // unary signs
    ['-2^2', -4],
    ['-2**2', -4],
    ['(-2)^2', 4],
    ['2^-1', 0.5],
    ['2 * -3', -6],
    ['1 - -1', 2],
    ['--3', 3],
    ['+-+3', -3],
    ['-(1 + 2)', -3],
    ['-0', 0],
    ['0 * -1', 0],
    // remainder
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['7.5 % 2', 1.5],
    ['mod(-7, 3)', 2],
    ['mod(7, -3)', -2],
    // numbers and whitespace
    ['.5 + 1.', 1.5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['1e+2', 100],
    ['007', 7],
    [' \t( 1 +\n2 ) *3 ', 9],
    // constants
    ['pi', Math.PI],
    ['PI', Math.PI],
    ['E', Math.E],
    ['tau / 2', Math.PI],
    // functions
    ['sqrt(16)', 4],
    ['SQRT(16)', 4],
    ['cbrt(-27)', -3],
    ['abs(-5)', 5],
    ['floor(-1.5)', -2],
    ['ceil(1.2)', 2],
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['trunc(-1.7)', -1],
    ['sign(-3)', -1],
    ['exp(0)', 1],
    ['ln(e)', 1],
    ['log(1000)', 3],
    ['log(8, 2)', 3],
    ['log(81, 3)', Math.log(81) / Math.log(3)],
    ['log2(1024)', 10],
    ['log10(0.01)', -2],
    ['sin(0)', 0],
    ['cos(pi)', -1],
    ['tan(0)', 0],
    ['asin(1)', Math.PI / 2],
    ['acos(1)', 0],
    ['atan(1) * 4', Math.PI],
    ['atan2(1, 1)', Math.PI / 4],
    ['sinh(0) + cosh(0) + tanh(0)', 1],
    ['min(3, 1, 2)', 1],
    ['max(3)', 3],
    ['max(-1, -5)', -1],
    ['hypot(3, 4)', 5],
    ['pow(2, 10)', 1024],
    ['sqrt(abs(-3) * 3) + max(1, min(2, 3))', 5],
    // factorial
    ['5!', 120],
    ['0!', 1],
    ['3!!', 720],
    ['-3!', -6],
    ['2^3!', 64],
    ['(1 + 2)!', 6],
    ['170!', 7.257415615307994e306],
  ];

  it.each(cases)('%s = %d', (source, expected) => {
    expect(evaluateExpression(source)).toBe(expected);
  });

  it('never returns -0', () => {
    expect(Object.is(evaluateExpression('-0'), 0)).toBe(true);
    expect(Object.is(evaluateExpression('-1 * 0'), 0)).toBe(true);
  });

  it('accepts 100 levels of nesting and 1,000 characters', () => {
    expect(evaluateExpression(`${'('.repeat(100)}1${')'.repeat(100)}`)).toBe(1);
    expect(evaluateExpression(`${'1+'.repeat(499)}1 `)).toBe(500);
  });
});

describe('evaluateExpression errors', () => {
  const tooDeep = `${'('.repeat(101)}1${')'.repeat(101)}`;
  const cases: [source: string, message: string, position: number][] = [
    ['', 'The expression is empty', 0],
    ['   ', 'The expression is empty', 0],
    ['2 * * 3', 'Unexpected "*" at position 4', 4],
    ['1 +', 'Unexpected end of expression at position 3', 3],
    ['()', 'Unexpected ")" at position 1', 1],
    ['2(3)', 'Unexpected "(" at position 1', 1],
    ['2 pi', 'Unexpected "pi" at position 2', 2],
    ['pi(2)', 'Unexpected "("', 2],
    ['2e', 'Unexpected "e"', 1],
    ['(1 + 2', 'Missing ")" at position 6', 6],
    ['(1 + 2 3)', 'Missing ")" at position 7', 7],
    ['1 + 2)', 'Unexpected ")" at position 5', 5],
    ['1_000', 'Unexpected "_" at position 1', 1],
    ['1,000', 'Unexpected "," at position 1', 1],
    ['1.2.3', 'Unexpected ".3" at position 3', 3],
    ['.', 'Unexpected "." at position 0', 0],
    ['3 = 3', 'Unexpected "="', 2],
    ['1 + 😀', 'Unexpected "😀"', 4],
    ['foo(1)', 'Unknown function "foo"; known: sqrt, cbrt, abs,', 0],
    ['2 + constructor(1)', 'Unknown function "constructor"', 4],
    ['x + 1', 'Unknown name "x"; known constants: pi, e, tau', 0],
    ['sqrt 4', 'Missing "(" at position 5', 5],
    ['sqrt', 'Missing "(" at position 4', 4],
    ['sqrt(1, 2)', 'sqrt expects 1 argument, got 2', 0],
    ['1 + SQRT()', 'sqrt expects 1 argument, got 0', 4],
    ['atan2(1)', 'atan2 expects 2 arguments, got 1', 0],
    ['log(1, 2, 3)', 'log expects 1 or 2 arguments, got 3', 0],
    ['max()', 'max expects at least 1 argument, got 0', 0],
    ['max(1,)', 'Unexpected ")" at position 6', 6],
    ['max(1 2)', 'Missing ")" at position 6', 6],
    ['1 / 0', 'Division by zero', 2],
    ['5 % (1 - 1)', 'Division by zero', 2],
    ['mod(1, 0)', 'Division by zero', 0],
    ['sqrt(-1)', 'The result is not a finite number', 0],
    ['ln(0)', 'The result is not a finite number', 0],
    ['log(8, 1)', 'The result is not a finite number', 0],
    ['10 ^ 400', 'The result is not a finite number', 3],
    ['0 ^ -1', 'The result is not a finite number', 2],
    ['1e308 * 10', 'The result is not a finite number', 6],
    ['1e400', 'The number 1e400 is too large', 0],
    ['171!', 'Factorial needs a whole number from 0 to 170, got 171', 3],
    ['2.5!', 'Factorial needs a whole number', 3],
    ['(-1)!', 'got -1', 4],
    [tooDeep, 'Too deeply nested at position 100', 100],
    [`${'-'.repeat(101)}1`, 'Too deeply nested at position 100', 100],
    [`2${'^2'.repeat(101)}`, 'Too deeply nested', 201],
    [`${'abs('.repeat(101)}1${')'.repeat(101)}`, 'Too deeply nested', 403],
    [`${'1+'.repeat(500)}1`, 'The expression is too long (1001 characters, at most 1000)', 1000],
  ];

  it.each(cases)('%j → %s', (source, message, position) => {
    let thrown: unknown;
    try {
      evaluateExpression(source);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CalculatorError);
    expect((thrown as CalculatorError).message).toContain(message);
    expect((thrown as CalculatorError).position).toBe(position);
  });
});

describe('formatNumber', () => {
  it.each([
    [0.1 + 0.2, '0.3'],
    [42, '42'],
    [-7, '-7'],
    [-0, '0'],
    [1 / 3, '0.333333333333'],
    [-2 / 3, '-0.666666666667'],
    [123456.789, '123456.789'],
    [2.0000000000000004, '2'],
    [1e21, '1e+21'],
    [1.5e-10, '1.5e-10'],
    [1 / 3e20, '3.33333333333e-21'],
  ])('%d → %s', (value, expected) => {
    expect(formatNumber(value)).toBe(expected);
  });
});

type Tree =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'negate'; readonly operand: Tree }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/' | '%'; readonly left: Tree; readonly right: Tree };

const trees = fc.letrec<{ tree: Tree; number: Tree; negate: Tree; binary: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('number'), tie('negate'), tie('binary')),
  number: fc.integer({ min: -1000, max: 1000 }).map((value) => ({ kind: 'number', value })),
  negate: tie('tree').map((operand) => ({ kind: 'negate', operand })),
  binary: fc
    .record({ op: fc.constantFrom('+', '-', '*', '/', '%'), left: tie('tree'), right: tie('tree') })
    .map(({ op, left, right }) => ({ kind: 'binary', op, left, right })),
})).tree;

/** Fully parenthesized, so the parser's precedence rules cannot change the meaning. */
function render(tree: Tree): string {
  if (tree.kind === 'number') return tree.value < 0 ? `(${tree.value})` : String(tree.value);
  if (tree.kind === 'negate') return `(-${render(tree.operand)})`;
  return `(${render(tree.left)} ${tree.op} ${render(tree.right)})`;
}

/** The value computed directly, or undefined when a division by zero or an overflow makes it moot. */
function compute(tree: Tree): number | undefined {
  if (tree.kind === 'number') return tree.value;
  if (tree.kind === 'negate') {
    const operand = compute(tree.operand);
    return operand === undefined ? undefined : -operand;
  }
  const left = compute(tree.left);
  const right = compute(tree.right);
  if (left === undefined || right === undefined) return undefined;
  if ((tree.op === '/' || tree.op === '%') && right === 0) return undefined;
  const value =
    tree.op === '+' ? left + right
    : tree.op === '-' ? left - right
    : tree.op === '*' ? left * right
    : tree.op === '/' ? left / right
    : left % right;
  return Number.isFinite(value) ? value : undefined;
}

describe('evaluateExpression properties', () => {
  it('agrees with the directly computed value of random arithmetic trees', () => {
    fc.assert(
      fc.property(trees, (tree) => {
        const expected = compute(tree);
        fc.pre(expected !== undefined);
        expect(evaluateExpression(render(tree))).toBe(expected === 0 ? 0 : expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('returns a finite number or throws CalculatorError for any string', () => {
    const calculatorChars = fc.constantFrom(...'0123456789.eE+-*/%^!(), \tpisqrtlogmaxfoe_'.split(''));
    const inputs = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: calculatorChars, maxLength: 200 }),
    );
    fc.assert(
      fc.property(inputs, (source) => {
        try {
          expect(Number.isFinite(evaluateExpression(source))).toBe(true);
        } catch (error) {
          if (!(error instanceof CalculatorError)) throw error;
          expect(error.position).toBeGreaterThanOrEqual(0);
          expect(error.position).toBeLessThanOrEqual(source.length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * The calculator tool: a small recursive-descent parser that evaluates arithmetic as it parses.
 * Expressions come from chat users and models, so they are untrusted: nothing here ever reaches
 * `eval` or `Function`, names are looked up in Maps (never on a plain object, whose prototype
 * would answer `constructor`), and length and nesting are capped so that a hostile input cannot
 * exhaust the stack or the CPU.
 *
 * Grammar, loosest first:
 *   expression := term (("+" | "-") term)*
 *   term       := unary (("*" | "/" | "%") unary)*
 *   unary      := ("+" | "-") unary | power
 *   power      := postfix (("^" | "**") unary)?
 *   postfix    := primary "!"*
 *   primary    := number | constant | name "(" arguments ")" | "(" expression ")"
 */

const MAX_LENGTH = 1_000;
const MAX_DEPTH = 100;
const MAX_FACTORIAL = 170; // 171! overflows a double

/** A problem with the expression, worded for the person who typed it. */
export class CalculatorError extends Error {
  /** The 0-based index in the source where the problem is. */
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'CalculatorError';
    this.position = position;
  }
}

/** Evaluates an arithmetic expression; throws CalculatorError for anything it cannot answer. */
export function evaluateExpression(source: string): number {
  if (source.length > MAX_LENGTH) {
    throw new CalculatorError(`The expression is too long (${source.length} characters, at most ${MAX_LENGTH})`, MAX_LENGTH);
  }
  const tokens = tokenize(source);
  if (tokens.length === 1) throw new CalculatorError('The expression is empty', 0);
  const value = new Parser(tokens).parse();
  return value === 0 ? 0 : value; // nobody wants to be told "-0"
}

/** A result for people: integers as they are, others to 12 significant digits without binary noise. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  // toPrecision(12) turns 0.30000000000000004 into "0.300000000000"; Number() drops the zeros
  // and String() picks exponent form for very large or small values, as JS always does.
  return String(Number(value.toPrecision(12)));
}

// ---- Functions and constants ----

interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  /** `position` is the function name's, for errors the function itself detects. */
  readonly apply: (args: readonly number[], position: number) => number;
}

const one = (f: (x: number) => number): FunctionSpec => ({ min: 1, max: 1, apply: ([x = NaN]) => f(x) });
const two = (f: (a: number, b: number) => number): FunctionSpec => ({ min: 2, max: 2, apply: ([a = NaN, b = NaN]) => f(a, b) });
const many = (f: (...xs: number[]) => number): FunctionSpec => ({ min: 1, max: Infinity, apply: (xs) => f(...xs) });

const CONSTANTS = new Map<string, number>([['pi', Math.PI], ['e', Math.E], ['tau', 2 * Math.PI]]);

const FUNCTIONS = new Map<string, FunctionSpec>([
  ['sqrt', one(Math.sqrt)], ['cbrt', one(Math.cbrt)], ['abs', one(Math.abs)],
  ['floor', one(Math.floor)], ['ceil', one(Math.ceil)],
  // Half away from zero, as people round (Math.round sends -2.5 to -2).
  ['round', one((x) => Math.sign(x) * Math.round(Math.abs(x)))],
  ['trunc', one(Math.trunc)], ['sign', one(Math.sign)], ['exp', one(Math.exp)], ['ln', one(Math.log)],
  ['log', { min: 1, max: 2, apply: ([x = NaN, base = 10]) => logarithm(x, base) }],
  ['log2', one(Math.log2)], ['log10', one(Math.log10)],
  ['sin', one(Math.sin)], ['cos', one(Math.cos)], ['tan', one(Math.tan)],
  ['asin', one(Math.asin)], ['acos', one(Math.acos)], ['atan', one(Math.atan)], ['atan2', two(Math.atan2)],
  ['sinh', one(Math.sinh)], ['cosh', one(Math.cosh)], ['tanh', one(Math.tanh)],
  ['min', many(Math.min)], ['max', many(Math.max)], ['hypot', many(Math.hypot)], ['pow', two(Math.pow)],
  // Unlike "%", mod takes the divisor's sign, so mod(-1, 3) is 2: what people mean by "modulo".
  ['mod', { min: 2, max: 2, apply: ([a = NaN, b = NaN], position) => (binary({ text: '%', position }, a, b) + b) % b }],
]);

/** Exact answers for the common bases: ln(1000) / ln(10) is 2.9999999999999996. */
function logarithm(x: number, base: number): number {
  return base === 10 ? Math.log10(x) : base === 2 ? Math.log2(x) : Math.log(x) / Math.log(base);
}

// ---- Tokens ----

interface Token {
  readonly kind: 'number' | 'name' | 'operator' | 'end';
  readonly text: string;
  readonly position: number;
}

const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/; // "12", "1.", ".5", "2.5E-2"; no "_", no ","
const NAME = /[A-Za-z][A-Za-z0-9]*/;
const OPERATOR = /\*\*|[-+*/%^!(),]/;
// Alternatives in order, each kind in its group; the last catches any other character ("u": a whole emoji).
const TOKEN = new RegExp(`\\s+|(${NUMBER.source})|(${NAME.source})|(${OPERATOR.source})|([^])`, 'gu');

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  for (const { 0: text, 1: number, 2: name, 3: operator, 4: other, index: position } of source.matchAll(TOKEN)) {
    if (other !== undefined) throw unexpected({ text, position });
    if (number !== undefined) tokens.push({ kind: 'number', text, position });
    else if (name !== undefined) tokens.push({ kind: 'name', text, position });
    else if (operator !== undefined) tokens.push({ kind: 'operator', text, position });
    // Otherwise it was whitespace, which only separates tokens.
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return tokens;
}

// ---- Parser: each method parses one grammar rule and returns its value ----

class Parser {
  readonly #tokens: readonly Token[];
  readonly #end: Token;
  #index = 0;
  #depth = 0;

  constructor(tokens: readonly Token[]) {
    this.#tokens = tokens;
    this.#end = tokens[tokens.length - 1] ?? { kind: 'end', text: '', position: 0 };
  }

  parse(): number {
    const value = this.#expression();
    if (this.#peek().kind !== 'end') throw unexpected(this.#peek());
    return value;
  }

  #expression(): number {
    return this.#leftAssociative(['+', '-'], () => this.#term());
  }

  #term(): number {
    return this.#leftAssociative(['*', '/', '%'], () => this.#unary());
  }

  // A loop, not recursion, so a long chain like 1+1+...+1 costs no stack.
  #leftAssociative(operators: readonly string[], operand: () => number): number {
    let value = operand();
    for (let op = this.#accept(...operators); op; op = this.#accept(...operators)) {
      value = finite(binary(op, value, operand()), op.position);
    }
    return value;
  }

  // Signs sit below "^", so -2^2 is -(2^2) = -4, as in mathematics.
  #unary(): number {
    const sign = this.#accept('+', '-');
    if (sign === undefined) return this.#power();
    const operand = this.#nested(sign.position, () => this.#unary());
    return sign.text === '-' ? -operand : operand;
  }

  // The exponent is a unary, not a postfix: that makes 2^3^2 = 2^9 (right-associative) and allows 2^-1.
  #power(): number {
    const base = this.#postfix();
    const op = this.#accept('^', '**');
    return op === undefined ? base : finite(base ** this.#nested(op.position, () => this.#unary()), op.position);
  }

  #postfix(): number {
    let value = this.#primary();
    for (let bang = this.#accept('!'); bang; bang = this.#accept('!')) value = factorial(value, bang.position);
    return value;
  }

  #primary(): number {
    const token = this.#next();
    if (token.kind === 'number') return parseNumber(token);
    if (token.kind === 'name') return this.#name(token);
    if (token.text === '(') return this.#nested(token.position, () => this.#group());
    throw unexpected(token);
  }

  #group(): number {
    const value = this.#expression();
    this.#expect(')');
    return value;
  }

  #name(name: Token): number {
    const key = name.text.toLowerCase();
    const constant = CONSTANTS.get(key);
    if (constant !== undefined) return constant;
    const spec = FUNCTIONS.get(key);
    if (spec === undefined) throw unknownName(name, this.#peek().text === '(');
    const open = this.#expect('(');
    const args = this.#nested(open.position, () => this.#arguments());
    if (args.length < spec.min || args.length > spec.max) {
      throw new CalculatorError(`${key} expects ${arity(spec)}, got ${args.length}`, name.position);
    }
    return finite(spec.apply(args, name.position), name.position);
  }

  #arguments(): number[] {
    const args: number[] = [];
    if (this.#peek().text !== ')') do args.push(this.#expression()); while (this.#accept(','));
    this.#expect(')');
    return args;
  }

  /** Every recursion back into the grammar goes through here, so MAX_DEPTH bounds the stack. */
  #nested<T>(position: number, parse: () => T): T {
    if (++this.#depth > MAX_DEPTH) {
      throw new CalculatorError(`Too deeply nested at position ${position} (at most ${MAX_DEPTH} levels)`, position);
    }
    const value = parse();
    this.#depth--; // no finally needed: an error ends the whole parse
    return value;
  }

  #expect(text: string): Token {
    const token = this.#next();
    if (token.text !== text) throw new CalculatorError(`Missing "${text}" at position ${token.position}`, token.position);
    return token;
  }

  /** Consumes the next token if it is one of `texts`. */
  #accept(...texts: string[]): Token | undefined {
    return texts.includes(this.#peek().text) ? this.#next() : undefined;
  }

  #peek(): Token {
    return this.#tokens[this.#index] ?? this.#end;
  }

  #next(): Token {
    const token = this.#peek();
    if (token.kind !== 'end') this.#index++;
    return token;
  }
}

function parseNumber(token: Token): number {
  const value = Number(token.text);
  if (!Number.isFinite(value)) throw new CalculatorError(`The number ${token.text} is too large`, token.position);
  return value;
}

function binary(op: Pick<Token, 'text' | 'position'>, left: number, right: number): number {
  if (op.text === '+') return left + right;
  if (op.text === '-') return left - right;
  if (op.text === '*') return left * right;
  if (right === 0) throw new CalculatorError('Division by zero', op.position);
  return op.text === '/' ? left / right : left % right;
}

function factorial(n: number, position: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_FACTORIAL) {
    throw new CalculatorError(`Factorial needs a whole number from 0 to ${MAX_FACTORIAL}, got ${formatNumber(n)}`, position);
  }
  let result = 1;
  for (let i = 2; i <= n; i++) result *= i;
  return result;
}

/** Checked after every operation, so the position points at where the value went out of range. */
function finite(value: number, position: number): number {
  if (!Number.isFinite(value)) throw new CalculatorError('The result is not a finite number', position);
  return value;
}

function arity({ min, max }: FunctionSpec): string {
  const count = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} or ${max}`;
  return `${count} argument${(max === Infinity ? min : max) === 1 ? '' : 's'}`;
}

function unexpected(token: Pick<Token, 'text' | 'position'>): CalculatorError {
  const what = token.text === '' ? 'end of expression' : JSON.stringify(token.text);
  return new CalculatorError(`Unexpected ${what} at position ${token.position}`, token.position);
}

function unknownName(name: Token, isCall: boolean): CalculatorError {
  const message = isCall
    ? `Unknown function "${name.text}"; known: ${[...FUNCTIONS.keys()].join(', ')}`
    : `Unknown name "${name.text}"; known constants: ${[...CONSTANTS.keys()].join(', ')}`;
  return new CalculatorError(message, name.position);
}

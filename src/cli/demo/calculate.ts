/**
 * A safe arithmetic evaluator for the demo's `calculate` tool: a recursive
 * descent parser over numbers, `+ - * / %`, `^` (power, right-associative),
 * unary minus and parentheses. It never calls `eval` or `Function`, so a
 * model's expression can only ever compute a number.
 */

const tokenPattern = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)|([-+*/%^()]))/iy;

/** A token: a number, or an operator or parenthesis. */
type Token = { kind: 'number'; value: number; at: number } | { kind: 'symbol'; value: string; at: number };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  for (;;) {
    const rest = expression.slice(tokenPattern.lastIndex);
    const at = expression.length - rest.trimStart().length;
    if (at === expression.length) return tokens;
    const match = tokenPattern.exec(expression);
    if (match === null) throw new SyntaxError(`Unexpected "${expression[at]}" at position ${at + 1}`);
    tokens.push(match[1] !== undefined ? { kind: 'number', value: Number(match[1]), at } : { kind: 'symbol', value: match[2]!, at });
  }
}

/**
 * Evaluates an arithmetic expression.
 *
 * @param expression - numbers with `+ - * / % ^`, unary minus and parentheses, such as `(1 + 2) * 3 ^ 2 / 4`.
 * @returns the value; a division by zero gives `Infinity` or `NaN` as in JavaScript, which the tool reports as an error.
 * @throws `SyntaxError` naming the position of the first unexpected character or token.
 * @example
 * ```ts
 * calculate('(1 + 2) * 3 ^ 2 / 4'); // 6.75
 * calculate('2 ^ 3 ^ 2'); // 512
 * ```
 */
export function calculate(expression: string): number {
  const tokens = tokenize(expression);
  let position = 0;

  const peek = (): Token | undefined => tokens[position];
  const isSymbol = (symbol: string): boolean => {
    const token = peek();
    return token?.kind === 'symbol' && token.value === symbol;
  };
  const unexpected = (): SyntaxError => {
    const token = peek();
    return token === undefined
      ? new SyntaxError('Unexpected end of the expression')
      : new SyntaxError(`Unexpected "${token.value}" at position ${token.at + 1}`);
  };

  // expression := term (('+' | '-') term)*
  const parseExpression = (): number => {
    let value = parseTerm();
    while (isSymbol('+') || isSymbol('-')) {
      const operator = (tokens[position++] as Token).value;
      const right = parseTerm();
      value = operator === '+' ? value + right : value - right;
    }
    return value;
  };
  // term := unary (('*' | '/' | '%') unary)*
  const parseTerm = (): number => {
    let value = parseUnary();
    while (isSymbol('*') || isSymbol('/') || isSymbol('%')) {
      const operator = (tokens[position++] as Token).value;
      const right = parseUnary();
      value = operator === '*' ? value * right : operator === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('-' | '+') unary | power
  const parseUnary = (): number => {
    if (isSymbol('-')) {
      position++;
      return -parseUnary();
    }
    if (isSymbol('+')) {
      position++;
      return parseUnary();
    }
    return parsePower();
  };
  // power := primary ('^' unary)?   (right-associative, and -2 ^ 2 is -(2 ^ 2))
  const parsePower = (): number => {
    const base = parsePrimary();
    if (!isSymbol('^')) return base;
    position++;
    return base ** parseUnary();
  };
  // primary := number | '(' expression ')'
  const parsePrimary = (): number => {
    const token = peek();
    if (token?.kind === 'number') {
      position++;
      return token.value;
    }
    if (isSymbol('(')) {
      position++;
      const value = parseExpression();
      if (!isSymbol(')')) throw unexpected();
      position++;
      return value;
    }
    throw unexpected();
  };

  const value = parseExpression();
  if (position < tokens.length) throw unexpected();
  return value;
}

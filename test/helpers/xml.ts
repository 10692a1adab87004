/** A small well-formedness check for the SVG the views write, without an XML parser. */

/** Checks that tags nest and close, attributes are quoted, and `&` starts only an entity. */
export function wellFormedXmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const body = xml.trim();
  if (!body.startsWith('<svg ')) problems.push('does not start with <svg');
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:#\d+|lt|gt|amp|quot|apos);)/g)) {
    if (match[2] === undefined) {
      problems.push(`stray ${match[0]} at ${match.index}`);
      continue;
    }
    const [, closing, name, , selfClosing] = match;
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open}>`);
    } else if (!selfClosing) stack.push(name);
    if (stack.length === 0 && match.index + match[0].length !== body.length) problems.push(`content after the root at ${match.index}`);
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.join(', ')}`);
  return problems;
}

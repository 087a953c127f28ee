import { listAsText, plainText, quoteLines, readFence, readInlineCode, scanMarkup, tableAsText, type Dialect, type MarkupPiece, type MarkupReader, type Token, type Tokens } from './markdown.ts';

/** Slack's mrkdwn needs only these three escaped, in text and links alike. */
export const escapeMrkdwn = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Links Slack opens; anything else (javascript:, data:) is shown as text. */
const safeUrl = (href: string) => /^(https?:|mailto:)/i.test(href);
/** A link's address as Slack reads it: `|` and `>` would end it early. */
const linkUrl = (href: string) => escapeMrkdwn(href).replaceAll('|', '%7C');

/** Code as written inside a fence: only a fence of its own could end the block early. */
const fenced = (code: string) => escapeMrkdwn(code).replaceAll('```', '`\u200b``');

/** Formatting around inline content; the same formatting nested inside is written once (Slack does not nest it). */
function styled(marker: string, tokens: readonly Token[] | undefined, within: readonly string[]): string {
  if (within.includes(marker)) return inline(tokens, within);
  const content = inline(tokens, [...within, marker]);
  return content.trim() ? `${marker}${content}${marker}` : content;
}

function inline(tokens: readonly Token[] | undefined, within: readonly string[] = []): string {
  return (tokens ?? []).map((token) => inlineToken(token, within)).join('');
}

function inlineToken(token: Token, within: readonly string[] = []): string {
  switch (token.type) {
    case 'strong':
      return styled('*', token.tokens, within);
    case 'em':
      return styled('_', token.tokens, within);
    case 'del':
      return styled('~', token.tokens, within);
    case 'codespan': {
      const text = escapeMrkdwn(token.text).replaceAll('`', 'ˋ');
      return text.trim() ? `\`${text}\`` : text;
    }
    case 'br':
      return '\n';
    case 'checkbox':
      return '';
    case 'link': {
      const text = plainText(token.tokens);
      if (!safeUrl(token.href)) return escapeMrkdwn(text);
      return text === token.href ? `<${linkUrl(token.href)}>` : `<${linkUrl(token.href)}|${escapeMrkdwn(text).replaceAll('|', '¦')}>`;
    }
    case 'image':
      return safeUrl(token.href) ? `<${linkUrl(token.href)}|${escapeMrkdwn(token.text || 'image').replaceAll('|', '¦')}>` : escapeMrkdwn(token.text);
    case 'text':
      return 'tokens' in token && token.tokens?.length ? inline(token.tokens, within) : escapeMrkdwn(token.text);
    default:
      return escapeMrkdwn('raw' in token ? token.raw : '');
  }
}

function block(token: Token): string {
  switch (token.type) {
    case 'heading':
      return `*${inline(token.tokens, ['*'])}*`;
    case 'paragraph':
      return inline(token.tokens);
    case 'code':
      // Slack's code blocks have no language.
      return `\`\`\`\n${fenced(token.text) || ' '}\n\`\`\``;
    case 'table':
      return `\`\`\`\n${fenced(tableAsText(token as Tokens.Table))}\n\`\`\``;
    case 'blockquote':
      return quoteLines(token.tokens, block);
    case 'list':
      return listAsText(token as Tokens.List, '•', (child) => (child.type === 'text' || child.type === 'paragraph' ? inlineToken({ ...child, type: 'text' } as Token) : block(child)));
    case 'hr':
      return '───';
    case 'checkbox':
      return '';
    case 'text':
      return inlineToken(token);
    default:
      return escapeMrkdwn('raw' in token ? token.raw : plainText([token]));
  }
}

/**
 * Our own output read back. `<`, `>` and `&` in text were escaped, so `<…|` opens a link and `>` closes
 * it; a fence or a backtick holds literal text to its end. Bold, italics and strike are read as text:
 * mrkdwn has no escapes, so a `*` the model wrote cannot be told from one we did, and a cut inside bold
 * (a paragraph of 4000 characters) shows its asterisks rather than gaining or losing any.
 */
function markup(rendered: string): MarkupPiece[] {
  let inLink = false;
  const link: MarkupReader = (rest) => {
    const opening = /^<[^|>]*\|/.exec(rest)?.[0];
    if (opening) return (inLink = true), { pieces: [{ kind: 'open', text: opening, close: '>' }], length: opening.length };
    const bare = /^<[^>]*>/.exec(rest)?.[0];
    if (bare) return { pieces: [{ kind: 'text', text: bare }], length: bare.length };
    if (rest[0] === '>' && inLink) return (inLink = false), { pieces: [{ kind: 'close', text: '>' }], length: 1 };
    return undefined;
  };
  return scanMarkup(rendered, [readFence(/^```\n/), readInlineCode, link]);
}

const unescapeMrkdwn = (text: string) => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** The text a person reads: markers dropped, entities decoded, a link's address shown after its text. */
function plain(rendered: string): string {
  const linked = rendered.replace(/<([^|>]*)\|([^>]*)>/g, (_, href: string, text: string) => `${text} (${href})`).replace(/<([^|>]*)>/g, '$1');
  return unescapeMrkdwn(
    markup(linked)
      .flatMap((piece) => (piece.kind === 'text' ? [piece.text] : []))
      .join('')
      .replaceAll('\u200b', ''),
  );
}

/** Slack mrkdwn: bold, italic, strike, code, code blocks, links as `<url|text>`, quotes; `&`, `<`, `>` escaped. */
export const slackMrkdwn: Dialect = { name: 'slack-mrkdwn', block, separator: '\n\n', markup, plain };

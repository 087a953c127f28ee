import { listAsText, plainText, tableAsText, type Dialect, type MarkupPiece, type Token, type Tokens } from './markdown.ts';

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
      return (token.tokens ?? [])
        .filter((child: Token) => child.type !== 'space')
        .map((child: Token) => (child.type === 'code' || child.type === 'table' ? block(child) : block(child).replace(/^/gm, '> ')))
        .join('\n');
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
  const pieces: MarkupPiece[] = [];
  const open: string[] = [];
  let text = '';
  const emit = (piece: MarkupPiece) => {
    if (text) pieces.push({ kind: 'text', text });
    text = '';
    pieces.push(piece);
  };
  let at = 0;
  while (at < rendered.length) {
    const rest = rendered.slice(at);
    if (rest.startsWith('```\n')) {
      const end = rest.indexOf('\n```', 3);
      const stop = end < 0 ? rest.length : end;
      emit({ kind: 'open', text: '```\n', close: '\n```' });
      text = rest.slice(4, stop);
      emit({ kind: 'close', text: '\n```' });
      at += stop + 4;
      continue;
    }
    if (rest[0] === '`') {
      const end = rest.indexOf('`', 1);
      emit({ kind: 'open', text: '`', close: '`' });
      text = rest.slice(1, end < 0 ? undefined : end);
      emit({ kind: 'close', text: '`' });
      at += end < 0 ? rest.length : end + 1;
      continue;
    }
    const link = /^<([^|>]*)\|/.exec(rest);
    if (link) {
      open.push('>');
      emit({ kind: 'open', text: link[0], close: '>' });
      at += link[0].length;
      continue;
    }
    const bare = /^<[^>]*>/.exec(rest);
    if (bare) {
      text += bare[0];
      at += bare[0].length;
      continue;
    }
    if (rest[0] === '>' && open.at(-1) === '>') {
      open.pop();
      emit({ kind: 'close', text: '>' });
      at += 1;
      continue;
    }
    text += rest[0];
    at += 1;
  }
  if (text) pieces.push({ kind: 'text', text });
  return pieces;
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

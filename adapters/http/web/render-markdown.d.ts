// Types for render-markdown.js, which the browser loads as it is (no build step), so TypeScript sees it here.
import type { Marked } from 'marked';

/** Escapes text for HTML content and attribute values. */
export declare function escapeHtml(text: string): string;
/** The URL when it is absolute and http:, https: or mailto:, normalized; otherwise null. */
export declare function safeUrl(href: string): string | null;
/** A Markdown-to-safe-HTML function over the given marked module. */
export declare function createRenderer(markedModule: { Marked: typeof Marked }): (markdown: string) => string;

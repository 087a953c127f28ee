import type { ToolChoice, ToolDefinition } from '../../language-model.ts';
import type { GoogleFunctionDeclaration, GoogleToolConfig } from './google-api.ts';

export interface GoogleTools {
  tools?: { functionDeclarations: GoogleFunctionDeclaration[] }[];
  toolConfig?: GoogleToolConfig;
}

/** The tools as one `functionDeclarations` list, and the tool choice as `functionCallingConfig`. */
export function prepareGoogleTools(tools: ToolDefinition[] | undefined, toolChoice: ToolChoice | undefined): GoogleTools {
  if (!tools || tools.length === 0) return {};
  const functionDeclarations = tools.map((tool) => {
    const declaration: GoogleFunctionDeclaration = { name: tool.name };
    if (tool.description) declaration.description = tool.description;
    const parameters = toGoogleSchema(tool.inputSchema);
    if (parameters) declaration.parameters = parameters;
    return declaration;
  });
  const toolConfig = toToolConfig(toolChoice);
  return toolConfig ? { tools: [{ functionDeclarations }], toolConfig } : { tools: [{ functionDeclarations }] };
}

function toToolConfig(choice: ToolChoice | undefined): GoogleToolConfig | undefined {
  switch (choice?.type) {
    case undefined:
      return undefined; // Gemini's default with tools is AUTO.
    case 'auto':
      return { functionCallingConfig: { mode: 'AUTO' } };
    case 'required':
      return { functionCallingConfig: { mode: 'ANY' } };
    case 'none':
      return { functionCallingConfig: { mode: 'NONE' } };
    case 'tool':
      return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.toolName] } };
  }
}

/** JSON Schema keywords Gemini's OpenAPI-subset schema rejects with a 400 ("Unknown name ..."). */
const unsupportedKeywords = new Set(['$schema', 'additionalProperties']);

/** Keywords whose value is a map of names to schemas: the names are data, not keywords. */
const schemaMaps = new Set(['properties', '$defs', 'definitions', 'patternProperties']);

/**
 * The tool's JSON Schema without the keywords Gemini rejects, at every depth. An object schema with
 * no properties becomes no `parameters` at all: Gemini rejects an OBJECT without properties, and a
 * function without parameters is how it spells "takes no arguments".
 */
export function toGoogleSchema(schema: Record<string, unknown>): Record<string, unknown> | undefined {
  const cleaned = clean(schema) as Record<string, unknown>;
  const properties = cleaned.properties;
  const isEmptyObject =
    cleaned.type === 'object' &&
    (properties === undefined || (typeof properties === 'object' && properties !== null && Object.keys(properties).length === 0));
  return isEmptyObject ? undefined : cleaned;
}

function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (unsupportedKeywords.has(key)) continue;
    result[key] = schemaMaps.has(key) && isRecord(child) ? cleanMap(child) : clean(child);
  }
  return result;
}

function cleanMap(map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([name, schema]) => [name, clean(schema)]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

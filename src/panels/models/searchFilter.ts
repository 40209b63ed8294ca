import { RegistryClient } from '../../services/registryClient';

/**
 * The registered models search box: plain text or MLflow filter syntax.
 */
export namespace SearchFilter {
  /**
   * Whether `text` is written in MLflow's filter syntax: it starts with a
   * searchable key (`name`, `tags.<key>`, `` `tags.k` ``) followed by a
   * comparator. Anything else is plain text to look for in names.
   */
  export function isFilterSyntax(text: string): boolean {
    return FILTER_START.test(text);
  }

  /**
   * The MLflow filter of the search box's text: `undefined` for none, the
   * text itself when it is filter syntax (MLflow judges it), otherwise a
   * case-insensitive substring match on the name.
   */
  export function toMlflow(text: string): string | undefined {
    const trimmed = text.trim();
    if (trimmed === '') {
      return undefined;
    }
    if (isFilterSyntax(trimmed)) {
      return trimmed;
    }
    return `name ILIKE ${RegistryClient.quote(`%${trimmed}%`)}`;
  }

  /**
   * A key MLflow searches registered models by, then a comparator.
   */
  const FILTER_START =
    /^\s*(?:name|tags\.(?:`[^`]*`|"[^"]*"|[\w.-]+)|`tags\.[^`]*`)\s*(?:!=|=|<>|(?:not\s+)?i?like\b|(?:not\s+)?in\b)/i;
}

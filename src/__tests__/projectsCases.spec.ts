/**
 * The MLproject and parameter-value cases shared with pytest
 * (`trackside/tests/data/mlproject_cases.json`): the view's parser and form
 * rules must give the server's outcomes, error lines included.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ProjectParameterType } from '../tokens';
import { parseMLproject } from '../panels/projects/mlproject';
import { checkParameterValue } from '../panels/projects/paramRules';

interface ISpecCase {
  name: string;
  text: string;
  ok: boolean;
  line?: number;
  contains?: string;
}

interface IValueCase {
  type: ProjectParameterType;
  value: string;
  ok: boolean;
}

const CASES: { specs: ISpecCase[]; values: IValueCase[] } = JSON.parse(
  fs.readFileSync(
    path.join(
      __dirname,
      '..',
      '..',
      'trackside',
      'tests',
      'data',
      'mlproject_cases.json'
    ),
    'utf-8'
  )
);

describe('shared MLproject cases', () => {
  it('has cases of both outcomes', () => {
    expect(CASES.specs.some(c => c.ok)).toBe(true);
    expect(CASES.specs.some(c => !c.ok)).toBe(true);
  });

  it.each(CASES.specs.map(c => [c.name, c] as const))('%s', (_, c) => {
    const result = parseMLproject(c.text, 'project-dir');
    if (c.ok) {
      expect(result).toEqual(
        expect.objectContaining({ ok: true, spec: expect.anything() })
      );
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) {
      return;
    }
    if (c.line !== undefined) {
      expect(result.error.line).toBe(c.line);
    }
    if (c.contains !== undefined) {
      expect(result.error.message).toContain(c.contains);
    }
  });
});

describe('shared parameter value cases', () => {
  it.each(CASES.values.map(c => [c.type, JSON.stringify(c.value), c] as const))(
    '%s %s',
    (_, __, c) => {
      const problem = checkParameterValue(c.type, c.value);
      if (c.ok) {
        expect(problem).toBeNull();
      } else {
        expect(problem).toEqual(expect.any(String));
      }
    }
  );
});

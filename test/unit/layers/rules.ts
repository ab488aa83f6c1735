// The floors of the house as code: docs/ARCHITECTURE.md's layering rules, checked over the import
// graph (type-only imports included) by dependency-cruiser. `npm test` runs them through
// test/unit/layers/layers.test.ts; a broken rule fails naming the offending import.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cruise, type ICruiseResult, type IForbiddenRuleType } from 'dependency-cruiser';

/** Source folders of the processes (tests, tools and benches are outside the layering). */
export const LAYERED_FOLDERS = ['common', 'main', 'preload', 'renderer/src'];

export const RULES: IForbiddenRuleType[] = [
  {
    name: 'common-imports-no-process',
    comment: 'common/ is shared by every process: it imports nothing of main/, renderer/ or preload/',
    severity: 'error',
    from: { path: '^common/' },
    to: { path: '^(main|renderer|preload)/' },
  },
  {
    name: 'kernels-import-no-engine',
    comment: 'metrics/, formats/ and architectures/ are pure readers and kernels: no jobs/, api/ or export/',
    severity: 'error',
    from: { path: '^main/(metrics|formats|architectures)/' },
    to: { path: '^main/(jobs|api|export)/' },
  },
  {
    name: 'export-reads-the-store',
    comment: 'export/ reads cached results through store/, never through the API layer',
    severity: 'error',
    from: { path: '^main/export/' },
    to: { path: '^main/api/' },
  },
  {
    name: 'renderer-talks-through-the-api',
    comment: 'the renderer reaches the engine only through common/api.ts (IPC or HTTP), never by import',
    severity: 'error',
    from: { path: '^renderer/' },
    to: { path: '^(main|preload)/' },
  },
  {
    name: 'engine-does-not-import-the-ui',
    comment: 'main/ and preload/ never import the renderer',
    severity: 'error',
    from: { path: '^(main|preload)/' },
    to: { path: '^renderer/' },
  },
  {
    name: 'no-cycles',
    comment: 'no import cycles, type-only imports included',
    severity: 'error',
    from: { path: '^(common|main|preload|renderer)/' },
    to: { circular: true },
  },
];

export interface LayerViolation {
  rule: string;
  from: string;
  to: string;
  /** For cycles: the files around the cycle, starting at `from`. */
  cycle?: string[];
}

/** Every violation of RULES among the files under `folders` of `baseDir`. */
export async function checkLayers(baseDir: string, folders: string[] = LAYERED_FOLDERS): Promise<LayerViolation[]> {
  const previous = process.cwd();
  // dependency-cruiser reports paths relative to the working folder, which the rules match.
  process.chdir(baseDir);
  try {
    const out = await cruise(folders.filter((f) => existsSync(join(baseDir, f))), {
      validate: true,
      ruleSet: { forbidden: RULES },
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      exclude: { path: 'node_modules' },
      baseDir,
    });
    const result = out.output as ICruiseResult;
    return result.summary.violations.map((v) => ({
      rule: v.rule.name,
      from: v.from,
      to: v.to,
      ...(v.cycle ? { cycle: v.cycle.map((c) => c.name) } : {}),
    }));
  } finally {
    process.chdir(previous);
  }
}

/** One line per violation: the rule, and the import that breaks it. */
export function describeViolation(v: LayerViolation): string {
  const cycle = v.cycle ? ` (cycle: ${[v.from, ...v.cycle].join(' -> ')})` : '';
  return `${v.rule}: ${v.from} imports ${v.to}${cycle}`;
}

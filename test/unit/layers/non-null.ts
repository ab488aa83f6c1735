// The "no non-null assertion that does nothing" floor (docs/ARCHITECTURE.md "Floors").
// tsconfig.json leaves noUncheckedIndexedAccess off, so `xs[i]!` on a `number[]` or a typed array
// asserts nothing: it only reads as if the value had been checked. This finds every `!` whose operand's
// type cannot be null or undefined, with the compiler's own type checker (typescript is already a
// dependency; typescript-eslint's no-unnecessary-type-assertion does the same but would add a linter
// and its configuration to the build for this one rule).
import ts from 'typescript';

export interface UselessAssertion { file: string; line: number; text: string }

const NULLISH = ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void;
// Conservative: `any`, `unknown` and type parameters may hold null, so their `!` is kept.
const MAYBE_NULLISH = NULLISH | ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter;

function canBeNullish(type: ts.Type): boolean {
  if (type.flags & MAYBE_NULLISH) return true;
  return type.isUnion() && type.types.some((member) => (member.flags & MAYBE_NULLISH) !== 0);
}

/** Every useless `!` in the program of `tsconfigPath`, outside node_modules and declaration files. */
export function findUselessNonNullAssertions(tsconfigPath: string): UselessAssertion[] {
  const config = ts.readConfigFile(tsconfigPath, ts.sys.readFile);
  if (config.error) throw new Error(`${tsconfigPath}: ${ts.flattenDiagnosticMessageText(config.error.messageText, '\n')}`);
  const root = tsconfigPath.replace(/[\\/][^\\/]+$/, '');
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const checker = program.getTypeChecker();
  const found: UselessAssertion[] = [];
  for (const source of program.getSourceFiles()) {
    if (source.isDeclarationFile || source.fileName.includes('/node_modules/')) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isNonNullExpression(node) && !canBeNullish(checker.getTypeAtLocation(node.expression))) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
        found.push({ file: source.fileName.slice(root.length + 1), line: line + 1, text: node.getText(source) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

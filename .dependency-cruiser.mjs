// The layering `pnpm deps` checks (and `pnpm check` runs): scripts/, tests/ and deploy/ may use services and
// packages; services use packages; packages use only packages. Each rule's comment says why; the names are what a
// failing run prints. `pnpm deps:graph` draws the packages and services as a Graphviz dot file.

/** A service's public face: what its package.json would export. Anything else in it is its own business. */
const SERVICE_ENTRY = '^services/[^/]+/src/index\\.ts$';
/**
 * A package's public face: its package.json "exports" (src/index.ts, @tally/idempotency's Lua scripts, and
 * @tally/client's other entries: live reads, the Node store, and the example page's server the browser test uses).
 */
const PACKAGE_ENTRY =
  '^packages/([^/]+/src/(index\\.ts|lua/.+\\.lua)|client/src/(live|node)\\.ts|client/scripts/serve-example\\.ts)$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or changed alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'packages-not-to-services',
      severity: 'error',
      comment: 'Packages are the shared ground every service stands on; a package that needs a service is upside down.',
      from: { path: '^packages/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-service-to-another-service',
      severity: 'error',
      comment:
        'Services talk through Kafka topics and HTTP, never through each other’s code; what two services share ' +
        'belongs in a package (the contract in @tally/contracts).',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/[^/]+/', pathNot: '^services/$1/' },
    },
    {
      name: 'not-to-scripts-tests-deploy',
      severity: 'error',
      comment: 'scripts/, tests/ and deploy/ sit on top: what runs in production must not depend on them.',
      from: { path: '^(packages|services)/' },
      to: { path: '^(scripts|tests|deploy)/' },
    },
    {
      name: 'services-only-through-entry-points',
      severity: 'error',
      comment:
        'scripts/, tests/ and deploy/ use a service through its package entry point, so its inside (domain, ' +
        'adapters, config) can change without breaking them.',
      from: { path: '^(scripts|tests|deploy)/' },
      to: { path: '^services/', pathNot: SERVICE_ENTRY },
    },
    {
      name: 'packages-only-through-entry-points',
      severity: 'error',
      comment: 'Outside a package, only what its package.json exports is used (import @tally/x, not a path into it).',
      from: { path: '^(?!packages/([^/]+)/)' },
      to: { path: '^packages/', pathNot: PACKAGE_ENTRY },
    },
    {
      name: 'packages-only-through-entry-points-between-packages',
      severity: 'error',
      comment: 'The same between packages: @tally/x, never a path into another package.',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/[^/]+/', pathNot: [`^packages/$1/`, PACKAGE_ENTRY] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      // the SDK's example page imports the browser bundles its server builds as it starts
      from: { pathNot: '^packages/client/example/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-undeclared-package',
      severity: 'error',
      comment:
        'An npm package used but not in the package.json (the closest one, or the root’s) works only by accident of ' +
        'hoisting.',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|\\.tsbuild|dist|target)/' },
    // type-only imports count: a cycle or a wrong-way dependency through types couples code just the same
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    // the workspace packages resolve through their package.json "exports" to their sources
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'types', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.json'],
    },
    reporterOptions: {
      dot: { collapsePattern: '^(packages|services)/[^/]+|^(scripts|tests|deploy)/|node_modules/(@[^/]+/)?[^/]+' },
    },
  },
};

/**
 * The map of the house (README, "Module boundaries"), checked by `npm run lint`.
 *
 * Infrastructure: src/config, src/common and the modules named in INFRASTRUCTURE. Every other
 * folder under src/modules/ is a feature, so a new module (batch, console, ...) is a feature
 * without being listed here.
 */
const INFRASTRUCTURE = ['persistence', 'storage', 'queue', 'broadcast', 'health', 'metrics'];
const infra = INFRASTRUCTURE.join('|');
/** Any file inside a feature module; group 1 is the feature's name. */
const FEATURE_FILE = `^src/modules/((?!(?:${infra})/)[^/]+)/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'infrastructure-imports-no-feature',
      comment:
        'Infrastructure (config, common, persistence, storage, queue, broadcast, health, metrics) ' +
        'serves the features and knows none of them: a feature meets it through ports.',
      severity: 'error',
      from: { path: `^src/(config|common|modules/(${infra}))/` },
      to: { path: [FEATURE_FILE, '^src/(cli|app\\.|main\\.ts|shutdown\\.ts)'] },
    },
    {
      name: 'config-imports-nothing-of-the-app',
      comment: 'Settings are read and validated before anything else exists.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/config/' },
    },
    {
      name: 'common-imports-no-module',
      comment: 'src/common is shared by every module, so it depends on none of them.',
      severity: 'error',
      from: { path: '^src/common/' },
      to: { path: '^src/(modules|cli)/' },
    },
    {
      name: 'features-meet-through-index',
      comment:
        "A feature reaches another feature only through that module's public index.ts " +
        '(or through the queue and the ports of infrastructure).',
      severity: 'error',
      from: { path: FEATURE_FILE },
      to: { path: `${FEATURE_FILE}(?!index\\.ts$)`, pathNot: '^src/modules/$1/' },
    },
    {
      name: 'outside-reaches-features-through-index',
      comment:
        'The composition root, the CLI and infrastructure see a feature only by its index.ts.',
      severity: 'error',
      from: { path: '^src/', pathNot: FEATURE_FILE },
      to: { path: `${FEATURE_FILE}(?!index\\.ts$)` },
    },
    {
      name: 'no-folder-cycles',
      comment:
        'Folders depend on each other one way: a cycle means one of them is in the wrong place.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-file-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Specs may reach inside what they test.
    exclude: { path: ['^src/generated/', '\\.spec\\.ts$'] },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};

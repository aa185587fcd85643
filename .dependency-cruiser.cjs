/**
 * Import circles are refused in the app's own code, type-only imports
 * included (docs/ARCHITECTURE.md §1): a module's parts depend one way.
 * Layer boundaries are eslint.config.js's; this checks only circles.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: move what both sides need into a module of its own.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.vue'] },
  },
};

// Lets the Node-side typecheck (tsconfig.node.json, plain tsc) follow the
// component tests' `.vue` imports; vue-tsc checks the components themselves.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/**
 * Renders a machine definition as markdown: a Mermaid `stateDiagram-v2` block
 * and tables of its transitions, guards, actions, delays and actors.
 *
 * The edges come from `@xstate/graph`'s `toDirectedGraph`, which leaves out
 * eventless (`always`) transitions; those are read from `stateNode.always`.
 * Everything is listed in definition order, so the output is deterministic and
 * a test can compare it with the checked-in file.
 */
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { and, not, or, type AnyStateMachine, type AnyStateNode } from 'xstate';

/** One transition of the machine, as drawn and tabulated. */
export interface DiagramEdge {
  /** The source state's Mermaid id. */
  source: string;
  /** The target state's Mermaid id (the source again for a transition without target). */
  target: string;
  /** `event`, `after callTimeout`, `always`, `onDone(model)`… */
  trigger: string;
  guard: string | undefined;
  actions: string[];
}

interface Tables {
  edges: DiagramEdge[];
  /** Name → where it is used, in first-use order. */
  guards: Map<string, string[]>;
  actions: Map<string, string[]>;
  delays: Map<string, string[]>;
  actors: Map<string, string[]>;
}

type GuardLike = unknown;

// The combinators are recognised by their `check` function, taken from this copy of xstate.
const checkOf = (guard: unknown): unknown => (guard as { check?: unknown }).check;
const andCheck = checkOf(and([]));
const orCheck = checkOf(or([]));
const notCheck = checkOf(not(() => true));

/** Writes a guard the way the spec reads: `isLiveCompletion and isFailFast`. */
export function guardText(guard: GuardLike, nested = false): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  if (typeof guard === 'function') {
    const { check, guards, stateValue } = guard as { check?: unknown; guards?: unknown[]; stateValue?: unknown };
    if (check === notCheck && guards) return `not ${guardText(guards[0], true)}`;
    if ((check === andCheck || check === orCheck) && guards) {
      const text = guards.map((g) => guardText(g, true)).join(check === andCheck ? ' and ' : ' or ');
      return nested && guards.length > 1 ? `(${text})` : text;
    }
    if (stateValue !== undefined) return `in ${JSON.stringify(stateValue)}`;
    return guard.name && guard.name !== 'anonymous' ? guard.name : 'inline guard';
  }
  return 'guard';
}

/** Guard names inside a guard expression, for the guards table. */
function guardNames(guard: GuardLike): string[] {
  if (typeof guard === 'string') return [guard];
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    return [(guard as { type: string }).type];
  }
  const inner = (guard as { guards?: unknown[] } | undefined)?.guards;
  return Array.isArray(inner) ? inner.flatMap(guardNames) : [];
}

/** A readable name for an action: its name, or what kind of inline action it is. */
export function actionText(action: unknown): string {
  if (typeof action === 'string') return action;
  const type = (action as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return typeof action === 'function' ? `inline ${type.replace(/^xstate\./, '')}` : type;
  if (typeof action === 'function' && action.name && action.name !== 'anonymous') return action.name;
  return 'inline action';
}

/**
 * The entry and exit actions a state shows: without the `raise` / `cancel`
 * pair that XState adds to a state with `after` transitions (the `after` edge says it).
 */
function ownActions(node: AnyStateNode, kind: 'entry' | 'exit'): unknown[] {
  const afterEvents = new Set(node.after.map((t: { eventType: string }) => t.eventType));
  return node[kind].filter((action: unknown) => {
    const { id, sendId } = action as { id?: unknown; sendId?: unknown };
    return !(typeof action === 'function' && (afterEvents.has(id as string) || afterEvents.has(sendId as string)));
  });
}

/** The Mermaid id of a state: its path below the root, joined by `_`. */
function stateId(node: AnyStateNode): string {
  return node.path.join('_');
}

function add(map: Map<string, string[]>, key: string, where: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [where]);
  else if (!list.includes(where)) list.push(where);
}

/** Invoke ids → the actor they run, for labels like `onDone(model)`. */
function invokeSources(machine: AnyStateMachine): Map<string, string> {
  const sources = new Map<string, string>();
  const visit = (node: AnyStateNode): void => {
    for (const invoke of node.invoke) sources.set(invoke.id, typeof invoke.src === 'string' ? invoke.src : invoke.id);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return sources;
}

function triggerText(eventType: string, delay: unknown, invokes: Map<string, string>): string {
  if (delay !== undefined) return typeof delay === 'number' ? `after ${delay} ms` : `after ${String(delay)}`;
  for (const [prefix, name] of [
    ['xstate.done.actor.', 'onDone'],
    ['xstate.error.actor.', 'onError'],
  ] as const) {
    if (eventType.startsWith(prefix)) {
      const id = eventType.slice(prefix.length);
      return `${name}(${invokes.get(id) ?? id})`;
    }
  }
  if (eventType.startsWith('xstate.done.state.')) return 'onDone';
  return eventType;
}

/** Collects every transition and every use of a named guard, action, delay and actor. */
export function collectTables(machine: AnyStateMachine): Tables {
  const tables: Tables = { edges: [], guards: new Map(), actions: new Map(), delays: new Map(), actors: new Map() };
  const invokes = invokeSources(machine);
  for (const name of Object.keys(machine.implementations.guards)) tables.guards.set(name, []);
  for (const name of Object.keys(machine.implementations.actions)) tables.actions.set(name, []);
  for (const name of Object.keys(machine.implementations.delays)) tables.delays.set(name, []);
  for (const name of Object.keys(machine.implementations.actors)) tables.actors.set(name, []);

  const addTransition = (
    source: AnyStateNode,
    target: AnyStateNode,
    transition: { eventType: string; guard?: unknown; actions: readonly unknown[]; delay?: unknown },
    always: boolean,
  ): void => {
    const trigger = always ? 'always' : triggerText(transition.eventType, transition.delay, invokes);
    const guard = guardText(transition.guard);
    const edge: DiagramEdge = {
      source: stateId(source),
      target: stateId(target),
      trigger,
      guard,
      actions: transition.actions.map(actionText),
    };
    tables.edges.push(edge);
    const where = `${edge.source || '(root)'} → ${edge.target} on ${trigger}`;
    for (const name of guardNames(transition.guard)) add(tables.guards, name, where);
    for (const action of edge.actions) add(tables.actions, action, where);
    if (typeof transition.delay === 'string') add(tables.delays, transition.delay, where);
    else if (typeof transition.delay === 'number') add(tables.delays, `${transition.delay} ms`, where);
  };

  const visit = (graph: DirectedGraphNode): void => {
    const node = graph.stateNode as AnyStateNode;
    const id = stateId(node) || '(root)';
    for (const action of ownActions(node, 'entry')) add(tables.actions, actionText(action), `entry of ${id}`);
    for (const action of ownActions(node, 'exit')) add(tables.actions, actionText(action), `exit of ${id}`);
    for (const invoke of node.invoke) add(tables.actors, typeof invoke.src === 'string' ? invoke.src : invoke.id, `invoked in ${id}`);
    for (const edge of graph.edges) addTransition(edge.source as AnyStateNode, edge.target as AnyStateNode, edge.transition, false);
    // toDirectedGraph leaves out eventless transitions.
    for (const transition of node.always ?? []) {
      for (const target of transition.target ?? [node]) addTransition(node, target, transition, true);
    }
    for (const child of graph.children) visit(child);
  };
  visit(toDirectedGraph(machine));
  return tables;
}

/** In a transition label Mermaid reads `;` as a statement end and `#…;` as an entity: write both as entities. */
function mermaidText(text: string): string {
  return text.replace(/#/g, '#35;').replace(/;/g, '#59;');
}

function edgeLabel(edge: DiagramEdge): string {
  return mermaidText(edge.guard ? `${edge.trigger} [${edge.guard}]` : edge.trigger);
}

function stateNote(node: AnyStateNode, indent: string): string[] {
  // One line per item: Mermaid wraps notes itself, and breaks we add would be kept as hard breaks.
  const lines = node.description ? [node.description.replace(/\s+/g, ' ')] : [];
  for (const invoke of node.invoke) lines.push(`invoke / ${typeof invoke.src === 'string' ? invoke.src : invoke.id}`);
  const entry = ownActions(node, 'entry');
  const exit = ownActions(node, 'exit');
  if (entry.length > 0) lines.push(`entry / ${entry.map(actionText).join(', ')}`);
  if (exit.length > 0) lines.push(`exit / ${exit.map(actionText).join(', ')}`);
  if (lines.length === 0) return [];
  return [`${indent}note right of ${stateId(node)}`, ...lines.map((line) => `${indent}  ${line}`), `${indent}end note`];
}

/** The body of one (compound or parallel) state: initial arrow, child states, edges between them, finals. */
function renderRegion(parent: AnyStateNode, edges: DiagramEdge[], indent: string): string[] {
  const out: string[] = [];
  const children = Object.values(parent.states) as AnyStateNode[];
  if (parent.type !== 'parallel' && parent.initial?.target[0]) out.push(`${indent}[*] --> ${stateId(parent.initial.target[0])}`);
  children.forEach((child, i) => {
    if (parent.type === 'parallel' && i > 0) out.push(`${indent}--`);
    if (Object.keys(child.states).length > 0) {
      out.push(`${indent}state ${stateId(child)} {`, ...renderRegion(child, edges, `${indent}  `), `${indent}}`);
    } else {
      out.push(`${indent}${stateId(child)}`);
    }
  });
  const ids = new Set(children.map(stateId));
  for (const edge of edges) if (ids.has(edge.source)) out.push(`${indent}${edge.source} --> ${edge.target} : ${edgeLabel(edge)}`);
  for (const child of children) if (child.type === 'final') out.push(`${indent}${stateId(child)} --> [*]`);
  for (const child of children) out.push(...stateNote(child, indent));
  return out;
}

/** The Mermaid `stateDiagram-v2` source of a machine (without the code fence). */
export function mermaidDiagram(machine: AnyStateMachine, tables = collectTables(machine)): string {
  return ['stateDiagram-v2', ...renderRegion(machine.root, tables.edges, '  ')].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function usageTable(title: string, column: string, map: Map<string, string[]>, unused = 'not used by the chart'): string[] {
  if (map.size === 0) return [];
  const rows = [...map].map(([name, where]) => `| \`${cell(name)}\` | ${where.length ? cell(where.join('; ')) : unused} |`);
  return [`## ${title}`, '', `| ${column} | used on |`, '|---|---|', ...rows, ''];
}

/** Where a machine comes from, for the generated file's header. */
export interface MachineSource {
  /** The file, relative to the repository root: `machines/tool-batch.machine.ts`. */
  file: string;
  /** The export's name: `toolBatchMachine`. */
  exportName: string;
}

/**
 * Renders a machine as a markdown page: heading, Mermaid diagram, and tables.
 *
 * @param machine - the machine definition (not an actor).
 * @param source - where it is defined, for the header line.
 * @returns the markdown text, ending in a newline.
 * @example
 * ```ts
 * const markdown = renderMachineMarkdown(toolBatchMachine, {
 *   file: 'machines/tool-batch.machine.ts',
 *   exportName: 'toolBatchMachine',
 * });
 * ```
 */
export function renderMachineMarkdown(machine: AnyStateMachine, source: MachineSource): string {
  const tables = collectTables(machine);
  const rootEdges = tables.edges.filter((edge) => edge.source === '');
  const transitionRows = tables.edges.map(
    (e) =>
      `| ${e.source ? `\`${e.source}\`` : 'any state'} | \`${cell(e.trigger)}\` | ${e.guard ? `\`${cell(e.guard)}\`` : ''} | \`${e.target}\` | ${e.actions.map((a) => `\`${cell(a)}\``).join(', ')} |`,
  );
  return [
    `<!-- Generated by \`npm run visualize\` from ${source.file} (\`${source.exportName}\`). Do not edit by hand. -->`,
    '',
    `# ${machine.id}`,
    '',
    ...(machine.root.description ? [machine.root.description, ''] : []),
    `\`${source.exportName}\` from [${source.file}](../${source.file}).`,
    '',
    '```mermaid',
    mermaidDiagram(machine, tables),
    '```',
    '',
    ...(rootEdges.length ? [`Handled in every state: ${rootEdges.map((e) => `\`${e.trigger}\` → \`${e.target}\``).join(', ')}.`, ''] : []),
    '## Transitions',
    '',
    '| from | event | guard | to | actions |',
    '|---|---|---|---|---|',
    ...transitionRows,
    '',
    ...usageTable('Guards', 'guard', tables.guards),
    ...usageTable('Actions', 'action', tables.actions),
    ...usageTable('Delays', 'delay', tables.delays),
    ...usageTable('Actors', 'actor', tables.actors, 'no state invokes it: spawned by an action'),
  ].join('\n');
}

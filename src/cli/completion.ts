import type { Command } from 'commander';

interface Node {
  name: string;
  options: string[];
  children: Node[];
}

function tree(cmd: Command): Node {
  return {
    name: cmd.name(),
    options: cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))),
    children: cmd.commands.map(tree),
  };
}

/** bash: `complete -F`, words from the command tree (commands, verbs, then the options of the deepest command). */
function bash(root: Node): string {
  const lines: string[] = [];
  lines.push('# herold completion for bash: eval "$(herold completion bash)", or save it in /etc/bash_completion.d/herold');
  lines.push('_herold() {');
  lines.push('  local cur="${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" words=""');
  lines.push('  [ "$COMP_CWORD" -gt 1 ] && cmd="${COMP_WORDS[1]}"');
  lines.push('  [ "$COMP_CWORD" -gt 2 ] && sub="${COMP_WORDS[2]}"');
  lines.push('  case "$COMP_CWORD" in');
  lines.push(`    1) words="${root.children.map((c) => c.name).join(' ')}" ;;`);
  lines.push('    *)');
  lines.push('      case "$cmd" in');
  for (const c of root.children) {
    if (c.children.length > 0) {
      lines.push(`        ${c.name})`);
      lines.push('          if [ "$COMP_CWORD" -eq 2 ]; then');
      lines.push(`            words="${c.children.map((v) => v.name).join(' ')}"`);
      lines.push('          else');
      lines.push('            case "$sub" in');
      for (const v of c.children) lines.push(`              ${v.name}) words="${v.options.join(' ')}" ;;`);
      lines.push('            esac');
      lines.push('          fi ;;');
    } else {
      lines.push(`        ${c.name}) words="${c.options.join(' ')}" ;;`);
    }
  }
  lines.push('      esac ;;');
  lines.push('  esac');
  lines.push('  COMPREPLY=($(compgen -W "$words" -- "$cur"))');
  lines.push('}');
  lines.push('complete -o default -F _herold herold');
  return lines.join('\n') + '\n';
}

/** zsh: a native completion function with the same words. */
function zsh(root: Node): string {
  const lines: string[] = [];
  lines.push('#compdef herold');
  lines.push('# herold completion for zsh: eval "$(herold completion zsh)", or save it as _herold in a directory on $fpath');
  lines.push('_herold() {');
  lines.push('  local -a words_');
  lines.push('  if (( CURRENT == 2 )); then');
  lines.push(`    words_=(${root.children.map((c) => c.name).join(' ')})`);
  lines.push('  else');
  lines.push('    case "$words[2]" in');
  for (const c of root.children) {
    if (c.children.length > 0) {
      lines.push(`      ${c.name})`);
      lines.push('        if (( CURRENT == 3 )); then');
      lines.push(`          words_=(${c.children.map((v) => v.name).join(' ')})`);
      lines.push('        else');
      lines.push('          case "$words[3]" in');
      for (const v of c.children) lines.push(`            ${v.name}) words_=(${v.options.join(' ')}) ;;`);
      lines.push('          esac');
      lines.push('        fi ;;');
    } else {
      lines.push(`      ${c.name}) words_=(${c.options.join(' ')}) ;;`);
    }
  }
  lines.push('    esac');
  lines.push('  fi');
  lines.push('  compadd -- $words_');
  lines.push('  [[ $words[CURRENT] != -* ]] && _files');
  lines.push('}');
  lines.push('compdef _herold herold 2>/dev/null || true');
  return lines.join('\n') + '\n';
}

export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description('Print a completion script for bash or zsh: eval "$(herold completion bash)".')
    .action((shell: string) => {
      if (shell !== 'bash' && shell !== 'zsh') {
        console.error(`herold: completion is for bash or zsh, not '${shell}'. Example: eval "$(herold completion bash)"`);
        process.exit(2);
      }
      process.stdout.write(shell === 'bash' ? bash(tree(program)) : zsh(tree(program)));
    });
}

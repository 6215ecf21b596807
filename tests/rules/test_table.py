"""The rule table is generated from the rules, and the README shows exactly the generated table."""
import numpy as np

from minixai.nn import Conv1d, Conv2d, MaxPool2d, ReLU
from minixai.rules import Rule, deconvnet, elementwise, gradient, guided
from minixai.rules.table import (README, REGENERATE, ROWS, formula, main, readme_table, registered_rules,
                                 rows_that_differ, rule_table)


def test_the_readme_shows_the_generated_rule_table():
    assert readme_table() == rule_table(), (
        f"The rule table in {README} is out of date with the rules in minixai/rules/. "
        f"Regenerate it with: {REGENERATE}")


def test_every_rule_exported_by_minixai_rules_is_a_column_with_gradient_first():
    import minixai.rules as package
    exported = [getattr(package, n) for n in package.__all__ if isinstance(getattr(package, n), Rule)]
    exported += [r for r in getattr(package, "RULES", {}).values() if isinstance(r, Rule)]
    found = registered_rules()
    assert found[0] is gradient and deconvnet in found and guided in found
    assert all(any(r is f for f in found) for r in exported)
    header = rule_table().splitlines()[0]
    assert all(f" {rule.name} |" in header for rule in found)


def test_each_cell_is_the_first_docstring_line_of_the_bound_function():
    assert formula(guided, ReLU) == "r_in = r_out * 1(x > 0) * 1(r_out > 0)"
    assert formula(deconvnet, ReLU) == "r_in = r_out * 1(r_out > 0)"
    assert formula(gradient, ReLU) == "r_in = r_out * 1(x > 0)"
    assert formula(deconvnet, Conv1d) == gradient.formula(Conv1d) == gradient.formula(Conv2d)
    table = rule_table([gradient, deconvnet, guided])
    relu_row = next(line for line in table.splitlines() if line.startswith("| ReLU |"))
    assert relu_row.endswith("| `r_in = r_out * 1(x > 0)` | `r_in = r_out * 1(r_out > 0)` "
                             "| `r_in = r_out * 1(x > 0) * 1(r_out > 0)` |")


def test_only_the_relu_row_differs_between_deconvnet_guided_and_backprop():
    assert rows_that_differ(gradient, deconvnet) == ["ReLU"]
    assert rows_that_differ(gradient, guided) == ["ReLU"]
    assert rows_that_differ(gradient, gradient) == []


def test_a_new_rule_shows_up_with_its_formula_and_missing_cells_read_n_a():
    @elementwise
    def relu_leaky(r_out, x):
        """r_in = r_out * (1 if x > 0 else 0.1)"""
        return r_out if x > 0.0 else 0.1 * r_out

    leaky = Rule("leaky", {ReLU: relu_leaky, MaxPool2d: MaxPool2d.backward})
    table = rule_table([gradient, leaky])
    assert "`r_in = r_out * (1 if x > 0 else 0.1)`" in table
    pool_row = next(line for line in table.splitlines() if line.startswith("| MaxPool1d / MaxPool2d |"))
    assert pool_row.count("routed to the forward argmax") == 2  # MaxPool1d found through its base class
    assert formula(leaky, Conv1d) == "n/a"
    assert len(table.splitlines()) == 2 + len(ROWS)


def test_pipes_in_a_formula_are_escaped_in_markdown_and_kept_in_text():
    @elementwise
    def relu_abs(r_out):
        """r_in = |r_out|"""
        return r_out if r_out > 0.0 else -r_out

    rule = Rule("abs", {**gradient.cells, ReLU: relu_abs})
    assert "`r_in = \\|r_out\\|`" in rule_table([rule])
    assert "r_in = |r_out|" in rule_table([rule], markdown=False)


def test_write_readme_replaces_only_what_lies_between_the_markers(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# title\n\n<!-- rule-table:start -->\nold\n<!-- rule-table:end -->\n\nafter\n")
    assert main(["--check", str(readme)]) == 1
    assert REGENERATE in capsys.readouterr().out
    main(["--write-readme", str(readme)])
    text = readme.read_text()
    assert text.startswith("# title\n\n<!-- rule-table:start -->\n| layer |") and text.endswith("-->\n\nafter\n")
    assert readme_table(readme) == rule_table() and main(["--check", str(readme)]) == 0


def test_the_plain_text_table_is_aligned():
    lines = rule_table(markdown=False).splitlines()
    assert len(lines) == 1 + len(ROWS)
    bars = {tuple(i for i, ch in enumerate(line) if ch == "|") for line in lines}
    assert len(bars) == 1 and np.all(np.diff(next(iter(bars))) > 0)

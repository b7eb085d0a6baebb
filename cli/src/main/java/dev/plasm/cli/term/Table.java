package dev.plasm.cli.term;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * An aligned text table, declared one column per line: a header and how to get the cell from a
 * row. Columns added with {@link #optional} appear only when some row has a value, so a field that
 * newer daemons send becomes a column by adding one line. On a terminal cells are coloured and the
 * {@link #shrink shrinkable} columns are cut with an ellipsis to fit the width; on a pipe the
 * table is plain and never cut.
 *
 * @param <T> the type of a row
 */
public final class Table<T> {
  private static final String GAP = "  ";

  private record Column<T>(
      String header,
      Function<T, String> value,
      BiFunction<Style, String, String> colour,
      boolean optional,
      boolean shrink) {}

  private final List<Column<T>> columns = new ArrayList<>();

  private Table() {}

  public static <T> Table<T> of() {
    return new Table<>();
  }

  /** A column shown always; an empty or null cell prints as {@code -}. */
  public Table<T> column(String header, Function<T, String> value) {
    return add(new Column<>(header, value, (s, text) -> text, false, false));
  }

  /** A column whose cells are coloured by {@code colour} (e.g. {@code Style::state}). */
  public Table<T> column(
      String header, Function<T, String> value, BiFunction<Style, String, String> colour) {
    return add(new Column<>(header, value, colour, false, false));
  }

  /** A column shown only when at least one row has a value in it. */
  public Table<T> optional(String header, Function<T, String> value) {
    return add(new Column<>(header, value, (s, text) -> text, true, false));
  }

  /** Lets the last column added be cut (with an ellipsis) when the table is wider than the terminal. */
  public Table<T> shrink() {
    Column<T> c = columns.removeLast();
    return add(new Column<>(c.header(), c.value(), c.colour(), c.optional(), true));
  }

  private Table<T> add(Column<T> c) {
    columns.add(c);
    return this;
  }

  /**
   * Prints the header and one line per row.
   *
   * @param width the terminal's width, or 0 when unknown (nothing is cut)
   */
  public void print(PrintWriter out, List<T> rows, Style style, int width) {
    List<Column<T>> shown = new ArrayList<>();
    List<String[]> cells = new ArrayList<>();
    for (Column<T> c : columns) {
      String[] values = new String[rows.size()];
      boolean any = false;
      for (int r = 0; r < rows.size(); r++) {
        String v = c.value().apply(rows.get(r));
        values[r] = v == null || v.isEmpty() ? "-" : v.replace('\n', ' ');
        any |= v != null && !v.isEmpty();
      }
      if (any || !c.optional()) {
        shown.add(c);
        cells.add(values);
      }
    }
    int[] w = new int[shown.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = shown.get(i).header().length();
      for (String v : cells.get(i)) {
        w[i] = Math.max(w[i], v.length());
      }
    }
    if (width > 0) {
      fit(shown, w, width);
    }
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      cell(
          line,
          style.bold(shown.get(i).header()),
          shown.get(i).header().length(),
          w[i],
          i == w.length - 1);
    }
    out.println(line.toString().stripTrailing());
    for (int r = 0; r < rows.size(); r++) {
      line.setLength(0);
      for (int i = 0; i < w.length; i++) {
        String text = cut(cells.get(i)[r], w[i]);
        cell(
            line, shown.get(i).colour().apply(style, text), text.length(), w[i], i == w.length - 1);
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** Prints the first column only, without a header: what {@code --quiet} shows. */
  public void printFirstColumn(PrintWriter out, List<T> rows) {
    for (T row : rows) {
      out.println(columns.getFirst().value().apply(row));
    }
  }

  private static void cell(StringBuilder line, String text, int length, int width, boolean last) {
    line.append(text);
    if (!last) {
      line.append(" ".repeat(width - length)).append(GAP);
    }
  }

  /** Narrows the shrinkable columns, widest first, until the line fits (each keeps at least 8). */
  private static <T> void fit(List<Column<T>> shown, int[] w, int width) {
    int total = GAP.length() * (w.length - 1);
    for (int x : w) {
      total += x;
    }
    while (total > width) {
      int widest = -1;
      for (int i = 0; i < w.length; i++) {
        if (shown.get(i).shrink() && w[i] > 8 && (widest < 0 || w[i] > w[widest])) {
          widest = i;
        }
      }
      if (widest < 0) {
        return;
      }
      int take = Math.min(total - width, w[widest] - 8);
      w[widest] -= take;
      total -= take;
    }
  }

  private static String cut(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }
}

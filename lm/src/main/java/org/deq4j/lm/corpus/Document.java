package org.deq4j.lm.corpus;

/**
 * One text of a single-source corpus, held in memory.
 *
 * @param name where it came from (file path relative to the corpus root, or a resource name)
 * @param text its full text
 */
public record Document(String name, String text) {
}

package org.deq4j.zoo.data;

/** Which of the two labels of a CIFAR-100 record to use as the class. */
public enum Cifar100Labels {
    /** The 100 fine classes (second label byte). */
    FINE,
    /** The 20 coarse superclasses (first label byte). */
    COARSE
}

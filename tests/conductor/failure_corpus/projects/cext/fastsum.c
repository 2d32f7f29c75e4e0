#include <Python.h>

static PyObject *total(PyObject *self, PyObject *args) {
    return PyLong_FromLong(0)  /* BUG:pip-c */
}

"""An init error: the module cannot be imported (Runtime.ImportModuleError)."""
print("importing a module that is not there")
import esmsim_no_such_module  # noqa: F401,E402


def handler(event, context):
    return None

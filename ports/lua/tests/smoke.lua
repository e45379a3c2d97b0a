-- Lua smoke test run inside SwiftOS: strings, tables, closures, coroutines, string.format
-- with floats, file I/O under /tmp, os.time/os.clock and error handling. Prints one line per
-- check and "lua smoke: ok" when everything passed.
local failures = 0
local function check(name, cond)
  if cond then print("ok   " .. name) else print("FAIL " .. name); failures = failures + 1 end
end

-- strings
local s = "SwiftOS"
check("string.upper", s:upper() == "SWIFTOS")
check("string.rep/sub", ("ab"):rep(3):sub(2, 4) == "bab")
check("string.gsub", (("hello world"):gsub("o", "0")) == "hell0 w0rld")
check("string.find", select(1, ("key=value"):find("=", 1, true)) == 4)
check("pattern", ("2026-11-25"):match("^(%d+)%-(%d+)") == "2026")

-- tables
local t = {}
for i = 1, 100 do t[i] = i * i end
check("table length", #t == 100)
table.sort(t, function(a, b) return a > b end)
check("table.sort", t[1] == 10000 and t[100] == 1)
check("table.concat", table.concat({1, 2, 3}, ",") == "1,2,3")
local m = {alpha = 1, beta = 2}
local n = 0
for _ in pairs(m) do n = n + 1 end
check("pairs", n == 2)

-- closures
local function counter()
  local c = 0
  return function() c = c + 1; return c end
end
local c1, c2 = counter(), counter()
c1(); c1()
check("closures", c1() == 3 and c2() == 1)

-- coroutines
local co = coroutine.create(function(a, b)
  local x = coroutine.yield(a + b)
  local y = coroutine.yield(x * 2)
  return y + 1
end)
local _, r1 = coroutine.resume(co, 1, 2)
local _, r2 = coroutine.resume(co, 10)
local _, r3 = coroutine.resume(co, 41)
check("coroutines", r1 == 3 and r2 == 20 and r3 == 42 and coroutine.status(co) == "dead")
local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
check("coroutine.wrap", gen() + gen() + gen() == 6)

-- string.format with floats
check("format %.3f", string.format("%.3f", math.pi) == "3.142")
check("format %g", string.format("%g", 1e20) == "1e+20")
check("format %5.1f", string.format("%5.1f|%-6.2e", 2.26, 12345.678) == "  2.3|1.23e+04")
check("tostring float", tostring(0.1 + 0.2) == "0.3" and tostring(1/0) == "inf")
check("integer/float", math.type(3) == "integer" and math.type(3.0) == "float" and 7 // 2 == 3)
check("math", math.floor(math.sqrt(2) * 1000) == 1414 and math.max(3, 9, 1) == 9)

-- io under /tmp
local path = "/tmp/lua-smoke.txt"
local f = assert(io.open(path, "w"))
f:write("line one\n", 42, "\n", 3.5, "\n")
f:close()
f = assert(io.open(path, "r"))
local l1 = f:read("l")
local num = f:read("n")
local fl = f:read("n")
f:close()
check("io write/read", l1 == "line one" and num == 42 and fl == 3.5)
f = assert(io.open(path, "a")); f:write("appended\n"); f:close()
local lines = 0
for _ in io.lines(path) do lines = lines + 1 end
check("io append/lines", lines == 4)
check("os.remove", os.remove(path) == true)
local nf, err = io.open("/tmp/definitely/not/here", "r")
check("io.open error", nf == nil and type(err) == "string")

-- time
local now = os.time()
check("os.time", type(now) == "number" and now > 1600000000)
check("os.date", os.date("!%Y", 0) == "1970")
local c0 = os.clock()
local acc = 0
for i = 1, 200000 do acc = acc + i end
check("os.clock", type(c0) == "number" and os.clock() >= c0 and acc == 20000100000)

-- error handling
local ok, e = pcall(function() error("boom") end)
check("pcall/error", not ok and e:find("boom") ~= nil)
local ok2, e2 = pcall(function() error({code = 7}) end)
check("error object", not ok2 and e2.code == 7)
local ok3, e3 = xpcall(function() local x = nil; return x.y end, function(m) return "handled: " .. m end)
check("xpcall", not ok3 and e3:find("^handled:") ~= nil)
check("deep recursion", select(1, pcall(function() local function r(k) return k == 0 and 0 or 1 + r(k - 1) end return r(10000) end)))

print(failures == 0 and "lua smoke: ok" or ("lua smoke: " .. failures .. " FAILED"))

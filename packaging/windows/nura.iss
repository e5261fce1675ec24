; Inno Setup script for NURA Appliance on Windows (64-bit).
;
; Build on Windows after `pyinstaller --noconfirm nura.spec` has produced dist\nura\ :
;   1. put WinSW (the MIT-licensed service wrapper, WinSW-x64.exe from its GitHub releases)
;      next to this file as nura-service.exe;
;   2. iscc /DAppVersion=0.1.0 packaging\windows\nura.iss
; Output: packaging\windows\Output\nura-setup-<version>.exe
;
; The installer copies the bundle to Program Files\NURA, keeps data in ProgramData\NURA,
; registers the "nura" Windows service (service.ps1 → WinSW, restarts on failure), runs
; `nura init`, shows the admin URL and one-time password, and adds a Start-menu link to the
; admin. Uninstalling removes the program and the service and keeps ProgramData\NURA.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "NURA Appliance"
#define AdminUrl "http://localhost:8080/admin/"

[Setup]
AppId={{7E0A3C55-6B1E-4C7C-9B1D-4E55A1C0A7E2}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=NURA
DefaultDirName={autopf}\NURA
DefaultGroupName=NURA
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputBaseFilename=nura-setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
UninstallDisplayName={#AppName}

[Files]
Source: "..\..\dist\nura\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "nura-service.exe"; DestDir: "{app}"; Flags: ignoreversion
Source: "service.ps1"; DestDir: "{app}"; Flags: ignoreversion

[Dirs]
; Data lives outside Program Files so upgrades and uninstalls never touch it.
Name: "{commonappdata}\NURA"; Flags: uninsneveruninstall

[INI]
Filename: "{app}\NURA Admin.url"; Section: "InternetShortcut"; Key: "URL"; String: "{#AdminUrl}"

[Icons]
Name: "{group}\NURA Admin"; Filename: "{app}\NURA Admin.url"
Name: "{group}\NURA first-run details"; Filename: "{commonappdata}\NURA\first-run.txt"
Name: "{group}\Uninstall NURA"; Filename: "{uninstallexe}"

[Run]
Filename: "powershell.exe"; \
  Parameters: "-NoProfile -ExecutionPolicy Bypass -File ""{app}\service.ps1"" -Action install -AppDir ""{app}"" -DataDir ""{commonappdata}\NURA"""; \
  StatusMsg: "Initialising the data directory and starting the NURA service..."; Flags: runhidden waituntilterminated
Filename: "notepad.exe"; Parameters: """{commonappdata}\NURA\first-run.txt"""; \
  Description: "Show the admin URL and one-time password"; Flags: postinstall nowait skipifsilent
Filename: "{app}\NURA Admin.url"; Description: "Open the NURA admin"; Flags: postinstall shellexec nowait skipifsilent unchecked

[UninstallRun]
Filename: "powershell.exe"; \
  Parameters: "-NoProfile -ExecutionPolicy Bypass -File ""{app}\service.ps1"" -Action uninstall -AppDir ""{app}"" -DataDir ""{commonappdata}\NURA"""; \
  RunOnceId: "RemoveNuraService"; Flags: runhidden waituntilterminated

[UninstallDelete]
Type: files; Name: "{app}\nura-service.xml"
Type: files; Name: "{app}\NURA Admin.url"
